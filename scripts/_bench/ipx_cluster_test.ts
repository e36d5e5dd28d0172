import assert from "node:assert/strict";
import { watchFor } from "./ipx_cluster.ts";

/** A stream of the given chunks, counting how many were read. */
function chunks(parts: string[]): { stream: ReadableStream<Uint8Array>; read: () => number } {
  const encoder = new TextEncoder();
  let read = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = parts[read];
      if (next === undefined) return controller.close();
      read++;
      controller.enqueue(encoder.encode(next));
    },
  });
  return { stream, read: () => read };
}

Deno.test("watchFor finds text split across chunks and reads the stream to its end", async () => {
  const { stream, read } = chunks([
    "starting\nclus",
    "ter re",
    "ady: 4 engines\n",
    "more\n",
    "end\n",
  ]);
  const w = watchFor(stream, "cluster ready");
  assert.equal(await w.found, true);
  await w.done;
  assert.equal(read(), 5);
});

Deno.test("watchFor says false when the stream ends without the text", async () => {
  const { stream } = chunks(["error: port in use\n"]);
  const w = watchFor(stream, "cluster ready");
  assert.equal(await w.found, false);
  await w.done;
});
