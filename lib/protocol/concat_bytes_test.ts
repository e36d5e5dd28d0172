import assert from "node:assert/strict";
import { concatBytes } from "./concat_bytes.ts";

Deno.test("concatBytes joins arrays in order, views included, into a new array", () => {
  const base = Uint8Array.of(9, 1, 2, 3, 9);
  const view = base.subarray(1, 4);
  const out = concatBytes([Uint8Array.of(0), view, new Uint8Array(0), Uint8Array.of(4)]);
  assert.deepEqual([...out], [0, 1, 2, 3, 4]);
  assert.notEqual(out.buffer, base.buffer);
  assert.equal(concatBytes([]).length, 0);
});
