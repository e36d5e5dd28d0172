import assert from "node:assert/strict";
import { StreamLineInput } from "./line_input.ts";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => enc.encode(c)));
}

async function readAll(input: StreamLineInput): Promise<string[]> {
  const out: string[] = [];
  for (let line = await input.read(""); line !== null; line = await input.read("")) {
    out.push(line);
  }
  return out;
}

Deno.test("StreamLineInput splits chunks into lines across chunk borders", async () => {
  const input = new StreamLineInput(streamOf("%px 1", "+1\nlet a", " = 1\r\n\n", "last"));
  assert.deepEqual(await readAll(input), ["%px 1+1", "let a = 1", "", "last"]);
  assert.equal(await input.read(""), null);
});

Deno.test("StreamLineInput decodes UTF-8 split inside a character", async () => {
  const bytes = new TextEncoder().encode("'é→'\n");
  const stream = ReadableStream.from([bytes.slice(0, 2), bytes.slice(2, 4), bytes.slice(4)]);
  assert.deepEqual(await readAll(new StreamLineInput(stream)), ["'é→'"]);
});

Deno.test("StreamLineInput.close() ends a pending read with null", async () => {
  const { readable } = new TransformStream<Uint8Array, Uint8Array>();
  const input = new StreamLineInput(readable);
  const pending = input.read("");
  input.close();
  assert.equal(await pending, null);
});
