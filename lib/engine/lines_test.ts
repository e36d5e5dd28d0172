import assert from "node:assert/strict";
import { forEachLine } from "./lines.ts";

Deno.test("forEachLine splits across chunks, keeps empty lines and a last line without newline", async () => {
  const bytes = new TextEncoder().encode("one\ntw\u00e9\n\nlast");
  // split inside the two-byte é and inside a line
  const chunks = [bytes.subarray(0, 6), bytes.subarray(6, 8), bytes.subarray(8)];
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
  const lines: string[] = [];
  await forEachLine(stream, (l) => lines.push(l));
  assert.deepEqual(lines, ["one", "tw\u00e9", "", "last"]);
});
