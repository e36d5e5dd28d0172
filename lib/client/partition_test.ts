import assert from "node:assert/strict";
import { concatParts, partition, partitionSizes } from "./partition.ts";

Deno.test("partitionSizes() gives the first len % n parts one extra", () => {
  assert.deepEqual(partitionSizes(101, 4), [26, 25, 25, 25]);
  assert.deepEqual(partitionSizes(3, 4), [1, 1, 1, 0]);
  assert.deepEqual(partitionSizes(0, 2), [0, 0]);
});

Deno.test("partition() and concatParts() round-trip arrays and typed arrays", () => {
  const a = Array.from({ length: 101 }, (_, i) => i);
  const parts = partition(a, 4) as number[][];
  assert.deepEqual(parts.map((p) => p.length), [26, 25, 25, 25]);
  assert.deepEqual(parts[1]![0], 26);
  assert.deepEqual(concatParts(parts), a);
  const f = new Float64Array(10).map((_, i) => i * 1.5);
  const fp = partition(f, 3) as Float64Array[];
  assert.deepEqual(fp.map((p) => p.length), [4, 3, 3]);
  assert.deepEqual(concatParts(fp), f);
  // elements that are arrays stay elements: only the parts are joined
  const nested = [[1], [2, 3], [], [4]];
  assert.deepEqual(concatParts(partition(nested, 3)), nested);
  assert.deepEqual(concatParts([[], []]), []);
});
