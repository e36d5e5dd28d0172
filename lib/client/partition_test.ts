import assert from "node:assert/strict";
import {
  BIG_BINARY_BYTES,
  decodeValue,
  encodeValue,
  NUMBER_ARRAY_MIN,
  NumberList,
} from "../protocol/codec.ts";
import {
  assertPartitionable,
  concatEncodedParts,
  concatParts,
  partition,
  partitionForSending,
  partitionSizes,
} from "./partition.ts";

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

Deno.test("partitionForSending() splits number lists as float64 views, anything else as partition()", () => {
  const nums = Array.from({ length: 101 }, (_, i) => i * 1.5);
  const parts = partitionForSending(nums, 4) as NumberList[];
  assert.ok(parts.every((p) => p instanceof NumberList));
  assert.deepEqual(parts.map((p) => p.floats.length), [26, 25, 25, 25]);
  assert.ok(parts.every((p) => p.floats.buffer === parts[0]!.floats.buffer), "one conversion");
  assert.deepEqual(parts.flatMap((p) => Array.from(p.floats)), nums);
  const decoded = parts.map((p) => decodeValue(encodeValue(p)));
  assert.deepEqual(concatParts(decoded), nums);
  for (
    const other of [[...nums, "x"], nums.slice(0, 10), new Float64Array(nums), [[1], [2], [3]]]
  ) {
    assert.deepEqual(partitionForSending(other, 3), partition(other, 3));
  }
});

/** What each engine's `pull` of one name encodes: `[value]`. */
function pulled(parts: unknown[]): Uint8Array[] {
  return parts.map((p) => encodeValue([p]));
}

Deno.test("concatEncodedParts() joins big number lists and typed arrays straight from the bytes", () => {
  const lists = [0, 1, 2].map((k) => Array.from({ length: 100 + k }, (_, i) => k * 1000 + i / 4));
  assert.deepEqual(concatEncodedParts(pulled(lists)), lists.flat());
  const f32 = [0, 1].map((k) => new Float32Array(BIG_BINARY_BYTES / 4 + k).map((_, i) => i + k));
  const joined = concatEncodedParts(pulled(f32));
  assert.ok(joined instanceof Float32Array);
  assert.deepEqual(joined, concatParts(f32));
  // anything else is left to decoding and concatParts()
  assert.equal(concatEncodedParts(pulled([lists[0], f32[0]])), undefined);
  assert.equal(concatEncodedParts(pulled([lists[0], lists[1]!.slice(0, 5)])), undefined);
  assert.equal(concatEncodedParts(pulled([f32[0], new Int32Array(f32[0]!.length)])), undefined);
  assert.equal(concatEncodedParts(pulled([lists[0], "x"])), undefined);
  assert.equal(concatEncodedParts([]), undefined);
});

Deno.test("property: concatEncodedParts() gives concatParts() of the decoded parts, or undefined", () => {
  let seed = 7;
  const rand = (n: number) => { // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32 * n) | 0;
  };
  const kinds = [Float64Array, Float32Array, Int8Array, Uint16Array, Int32Array, BigInt64Array];
  const makePart = (kind: number): unknown => {
    const big = rand(3) > 0;
    const len = big ? BIG_BINARY_BYTES / 8 + rand(50) : rand(NUMBER_ARRAY_MIN * 2);
    if (kind === 0) return Array.from({ length: len }, () => rand(1000) / 8 - 60);
    if (kind === 1) return ["text", len];
    const ctor = kinds[(kind - 2) % kinds.length]!;
    const bytes = new Uint8Array(len * ctor.BYTES_PER_ELEMENT).map(() => rand(256));
    return new ctor(bytes.buffer);
  };
  const joined = { numbers: 0, typed: 0 };
  for (let round = 0; round < 200; round++) {
    const kind = rand(4) === 0 ? -1 : rand(2 + kinds.length);
    const parts = Array.from({ length: 1 + rand(4) }, () => makePart(kind < 0 ? rand(8) : kind));
    const expected = concatParts(parts.map((p) => decodeValue(encodeValue(p))));
    const got = concatEncodedParts(pulled(parts));
    if (got !== undefined) {
      if (parts.length > 1) joined[Array.isArray(got) ? "numbers" : "typed"]++;
      assert.deepEqual(got, expected);
    }
  }
  assert.ok(
    joined.numbers >= 5 && joined.typed >= 5,
    `several parts joined: ${JSON.stringify(joined)}`,
  );
});

Deno.test("assertPartitionable() and partition() refuse what is not an array, saying what it is", () => {
  const cases: [unknown, RegExp][] = [
    ["abc", /got a string \("abc"\)/],
    ["x".repeat(50), /got a string \("x{20}…"\)/],
    [5, /got a number \(5\)/],
    [true, /got a boolean \(true\)/],
    [3n, /got a bigint \(3n\)/],
    [null, /got null/],
    [undefined, /got undefined/],
    [{ length: 2 }, /got an Object/],
    [new Set([1]), /got a Set/],
    [new DataView(new ArrayBuffer(8)), /got a DataView/],
    [new ArrayBuffer(8), /got an ArrayBuffer/],
    [() => 1, /got a function/],
  ];
  for (const [value, got] of cases) {
    assert.throws(() => assertPartitionable(value, "scatter()"), (e: unknown) => {
      assert.ok(e instanceof TypeError, String(e));
      assert.match(e.message, /^scatter\(\) takes an array or a typed array to split across/);
      assert.match(e.message, got);
      assert.match(e.message, /use push\(\) to send the same value to every engine/);
      return true;
    });
    assert.throws(
      () => partition(value as number[], 2),
      /^TypeError: scatter\(\)\/map\(\) takes an array or a typed array/,
    );
  }
  for (const ok of [[], [1], new Float32Array(3), new Uint8Array(0), new BigInt64Array(1)]) {
    assertPartitionable(ok, "scatter()");
  }
});
