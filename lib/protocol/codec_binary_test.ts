/**
 * Tests of the codec's big and repeated values: big binaries left uncopied
 * (`encodeValueChunks`), a binary held several times sent once, long number arrays packed as
 * float64s (`NumberList`, `toFloat64s`, `arrayInList`), and random values mixing them.
 *
 * @module
 */

import assert, { deepStrictEqual, equal as assertEquals, throws } from "node:assert/strict";
import {
  arrayInList,
  BIG_BINARY_BYTES,
  decodeValue,
  encodeValue,
  encodeValueChunks,
  NUMBER_ARRAY_MIN,
  NumberList,
} from "./codec.ts";
import { numberArray, toFloat64s } from "./codec_extensions.ts";
import { ProtocolError } from "./errors.ts";

function roundTrip(v: unknown): unknown {
  return decodeValue(encodeValue(v));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

Deno.test("encodeValueChunks() leaves big binary values uncopied; its parts make encodeValue()", () => {
  const big = new Uint8Array(BIG_BINARY_BYTES).map((_, i) => i * 7);
  const floats = new Float64Array(BIG_BINARY_BYTES / 4).map((_, i) => i / 3);
  const buffer = new Uint8Array(BIG_BINARY_BYTES + 3).fill(9).buffer;
  const small = new Uint8Array(100).fill(1);
  const values: unknown[] = [
    big,
    { a: big, b: "x", c: [floats, small, big.subarray(1)], d: undefined },
    [buffer, new DataView(buffer, 1), new Int16Array(BIG_BINARY_BYTES)],
    new Map([["k", big]]),
    "plain",
    [small, small],
  ];
  for (const v of values) {
    const parts = encodeValueChunks(v);
    const whole = encodeValue(v);
    deepStrictEqual(concat(parts), whole);
    deepStrictEqual(decodeValue(whole), v);
  }
  const parts = encodeValueChunks({ a: big, c: [floats, small] });
  assert.ok(parts.includes(big), "a big Uint8Array is a part itself");
  assert.ok(
    parts.some((p) => p.buffer === floats.buffer && p.byteLength === floats.byteLength),
    "a big typed array's bytes are a view of its own buffer",
  );
  assert.ok(!parts.some((p) => p.buffer === small.buffer), "small values are copied");
  deepStrictEqual(encodeValueChunks(42).length, 1);
});

Deno.test("encodeValue() of a big value copies it once into a buffer of the exact size", () => {
  const big = new Uint8Array(4 * 1024 * 1024).fill(3);
  const bytes = encodeValue({ big });
  assertEquals(bytes.byteLength, bytes.buffer.byteLength);
  deepStrictEqual(decodeValue(bytes), { big });
  // the shared encoder does not keep a buffer the size of the last big value
  const again = encodeValue([1, 2, 3]);
  assert.ok(again.buffer.byteLength < 1024);
});

Deno.test("encodeValue() packs long arrays of numbers as float64s and decodes plain arrays", () => {
  const nums = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? i : i / 7) * (i % 2 ? -1 : 1));
  nums.push(NaN, -0, Infinity, -Infinity, 2 ** 53, Number.MIN_VALUE);
  const bytes = encodeValue(nums);
  assert.ok(bytes.length <= nums.length * 8 + 16, `${bytes.length} bytes`);
  const back = decodeValue(bytes) as number[];
  assert.ok(Array.isArray(back) && Object.getPrototypeOf(back) === Array.prototype);
  deepStrictEqual(back, nums);
  // mixed, short, sparse and subclassed arrays keep the general encoding
  const mixed = [...nums.slice(0, 40), "x"];
  deepStrictEqual(roundTrip(mixed), mixed);
  deepStrictEqual(roundTrip([1, 2, 3]), [1, 2, 3]);
  const sparse = new Array(40);
  sparse[3] = 1;
  assertEquals((roundTrip(sparse) as unknown[]).length, 40);
  deepStrictEqual(roundTrip({ a: [nums, nums.slice(0, 100)] }), { a: [nums, nums.slice(0, 100)] });
  // a big one is left out of the encoder's buffer like other big binaries
  const big = Array.from({ length: BIG_BINARY_BYTES }, (_, i) => i);
  deepStrictEqual(concat(encodeValueChunks({ big })), encodeValue({ big }));
  deepStrictEqual(decodeValue(encodeValue({ big })), { big });
});

Deno.test("decodeValue() refuses a number array whose length is not whole float64s", () => {
  // ext 8 (0xc7), 5 bytes, type 6
  throws(() => decodeValue(new Uint8Array([0xc7, 5, 6, 1, 2, 3, 4, 5])), ProtocolError);
});

Deno.test("a big Uint8Array held several times travels once and decodes as one view", () => {
  const big = new Uint8Array(BIG_BINARY_BYTES * 2).map((_, i) => i % 251);
  const other = big.slice();
  const value = { a: big, b: [big, other], c: { d: big } };
  const bytes = encodeValue(value);
  assert.ok(bytes.length < big.length * 2 + 100, `${bytes.length} bytes for two distinct arrays`);
  const back = decodeValue(bytes) as { a: Uint8Array; b: Uint8Array[]; c: { d: Uint8Array } };
  deepStrictEqual(back, value);
  assert.equal(back.b[0], back.a);
  assert.equal(back.c.d, back.a);
  assert.notEqual(back.b[1], back.a);
  deepStrictEqual(concat(encodeValueChunks(value)), bytes);
  // two messages of a batch sharing a payload (a push to several engines)
  const batch = [{ op: { ns: big } }, { op: { ns: big } }];
  assert.ok(encodeValue(batch).length < big.length + 100);
  // inside a Map's payload (encoded on its own) the array is written in full each time
  deepStrictEqual(roundTrip(new Map([["x", big], ["y", big]])), new Map([["x", big], ["y", big]]));
  // each encode starts afresh: the same array in the next value is written in full
  assert.ok(encodeValue([big]).length > big.length);
});

Deno.test("decodeValue() refuses a repeated-binary reference to nothing decoded before it", () => {
  for (
    const bytes of [
      [0xd6, 7, 0, 0, 0, 0], // index 0, no big binary before it
      [0x92, 0xc4, 1, 9, 0xd6, 7, 0, 0, 0, 0], // only a small binary before it
      [0xd5, 7, 0, 0], // wrong payload size
    ]
  ) {
    throws(() => decodeValue(new Uint8Array(bytes)), (e: unknown) => {
      assert(e instanceof ProtocolError, String(e));
      assert.match(e.message, /repeated binary value/);
      return true;
    });
  }
});

Deno.test("repeated binaries resolve correctly next to big binaries inside Map payloads", () => {
  const inner = new Uint8Array(BIG_BINARY_BYTES).fill(1);
  const outer = new Uint8Array(BIG_BINARY_BYTES).fill(2);
  const value = [new Map([["x", inner]]), outer, outer];
  for (const limits of [{}, { maxBinLength: 1024 * 1024 }, { maxStrLength: 1000 }]) {
    const back = decodeValue(encodeValue(value), limits) as [
      Map<string, Uint8Array>,
      ...Uint8Array[],
    ];
    assert.equal(back[1], back[2]); // identity first: a failing deep compare of 64 KiB is slow
    assert.equal(back[1]![0], 2);
    assert.equal(back[0].get("x")![0], 1);
    deepStrictEqual(back, value);
  }
});

Deno.test("repeated binaries stay in step with big typed arrays and number lists around them", () => {
  const u8 = new Uint8Array(BIG_BINARY_BYTES).fill(7);
  const u8b = new Uint8Array(BIG_BINARY_BYTES).fill(8);
  const f64 = new Float64Array(BIG_BINARY_BYTES / 8).fill(0.5);
  const nums = Array.from({ length: BIG_BINARY_BYTES / 4 }, (_, i) => i);
  const value = [f64, u8, nums, new Set([u8b]), u8b, u8, { again: [u8b, f64] }];
  const back = decodeValue(encodeValue(value)) as unknown[];
  assert.equal(back[5], back[1]); // identity first: a failing deep compare of 64 KiB is slow
  assert.equal((back[6] as { again: unknown[] }).again[0], back[4]);
  assert.equal((back[4] as Uint8Array)[0], 8);
  deepStrictEqual(back, value);
});

Deno.test("property: random values sharing big arrays round-trip to equal content", () => {
  let seed = 12345;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n; // the low bits of this generator repeat quickly
  };
  const pool = [1, 2, 3].map((k) => new Uint8Array(BIG_BINARY_BYTES + k).fill(k));
  const typed = new Int32Array(BIG_BINARY_BYTES / 4).fill(-3);
  const make = (depth: number): unknown => {
    const pick = rand(depth > 3 ? 4 : 9);
    switch (pick) {
      case 0:
        return pool[rand(pool.length)];
      case 1:
        return rand(1000);
      case 2:
        return "s" + rand(10);
      case 3:
        return rand(2) ? typed : new Uint8Array(rand(40));
      case 4:
        return Array.from({ length: rand(4) }, () => make(depth + 1));
      case 5:
        return Object.fromEntries(
          Array.from({ length: rand(4) }, (_, i) => [`k${i}`, make(depth + 1)]),
        );
      case 6:
        return new Map(Array.from({ length: rand(3) }, (_, i) => [i, make(depth + 1)]));
      case 7:
        return new Set(Array.from({ length: rand(3) }, () => make(depth + 1)));
      default:
        return Array.from({ length: 40 }, (_, i) => i * rand(5));
    }
  };
  for (let i = 0; i < 200; i++) {
    const value = [make(0), make(0), make(0)];
    const bytes = encodeValue(value);
    const same = (a: Uint8Array, b: Uint8Array) =>
      a.length === b.length && a.every((x, j) => x === b[j]);
    // byte comparisons first: a failing deepStrictEqual on 64 KiB arrays takes minutes to print
    assert.ok(same(concat(encodeValueChunks(value)), bytes), `iteration ${i}: chunks differ`);
    const back = decodeValue(bytes);
    assert.ok(same(encodeValue(back), bytes), `iteration ${i}: decoded value differs`);
    deepStrictEqual(back, value);
  }
});

Deno.test("toFloat64s() converts plain arrays of numbers only, long enough to pack", () => {
  const nums = Array.from({ length: 100 }, (_, i) => i % 7 === 0 ? -i / 3 : i);
  deepStrictEqual(toFloat64s(nums), new Float64Array(nums));
  assertEquals(toFloat64s(nums.slice(0, NUMBER_ARRAY_MIN - 1)), undefined);
  assertEquals(toFloat64s(["x", ...nums]), undefined);
  assertEquals(toFloat64s([...nums, "x"]), undefined);
  assertEquals(toFloat64s([...nums, 1n]), undefined);
  const holey = nums.slice();
  delete holey[50];
  assertEquals(toFloat64s(holey), undefined);
  class Sub extends Array<number> {}
  assertEquals(toFloat64s(Sub.from(nums)), undefined);
  assertEquals(toFloat64s(new Float64Array(nums)), undefined);
});

Deno.test("a NumberList travels as the plain array of its numbers and decodes as that array", () => {
  const all = new Float64Array(BIG_BINARY_BYTES / 8 + 100).map((_, i) =>
    (i % 5 ? i / 7 : -i) * (i % 2 ? 1 : -1)
  );
  all.set([NaN, -0, Infinity, -Infinity], 10);
  for (const [from, to] of [[0, 3000], [1, 40], [7, 7 + NUMBER_ARRAY_MIN], [5, 9], [3, 3]]) {
    const floats = all.subarray(from, to);
    const plain = Array.from(floats);
    const bytes = encodeValue({ x: new NumberList(floats) });
    const back = decodeValue(bytes) as { x: number[] };
    assert.ok(Array.isArray(back.x) && Object.getPrototypeOf(back.x) === Array.prototype);
    deepStrictEqual(back.x, plain);
    // the same bytes as the plain array, wherever that one is packed too
    if (plain.length >= NUMBER_ARRAY_MIN) deepStrictEqual(bytes, encodeValue({ x: plain }));
  }
  // a big one is written from its own memory, not copied into the encoder's buffer
  const big = all.subarray(2, 2 + BIG_BINARY_BYTES / 8 + 1);
  const parts = encodeValueChunks([new NumberList(big)]);
  assert.ok(big.byteLength >= BIG_BINARY_BYTES);
  assert.ok(parts.some((p) => p.buffer === all.buffer && p.byteOffset === big.byteOffset));
});

Deno.test("decodeValue() reads packed numbers at any byte alignment", () => {
  const nums = Array.from({ length: 200 }, (_, i) => i * 1.25 - 17);
  nums.push(NaN, -0, Infinity, 2 ** 60);
  const bytes = encodeValue([nums]);
  for (let offset = 0; offset < 8; offset++) {
    const holder = new Uint8Array(bytes.length + 8);
    holder.set(bytes, offset);
    deepStrictEqual(decodeValue(holder.subarray(offset, offset + bytes.length)), [nums]);
  }
});

Deno.test("arrayInList() finds a big array alone in a list, and nothing else", () => {
  const nums = Array.from({ length: 100 }, (_, i) => i / 2);
  const numbers = arrayInList(encodeValue([nums]));
  assert.ok(numbers?.kind === "numbers");
  deepStrictEqual(new Float64Array(numbers.floats.slice().buffer), new Float64Array(nums));
  const f32 = new Float32Array(BIG_BINARY_BYTES / 4).map((_, i) => i);
  const typed = arrayInList(encodeValue([f32]));
  assert.ok(typed?.kind === "typed" && typed.tag === 7);
  deepStrictEqual(new Float32Array(typed.data.slice().buffer), f32);
  for (
    const other of [
      [nums.slice(0, 5)], // short: msgpack array
      [new Float32Array(10)], // small typed array: short extension form
      [new Uint8Array(BIG_BINARY_BYTES)], // msgpack bin
      [nums, nums],
      nums,
      { x: nums },
      [],
      undefined,
    ]
  ) {
    assertEquals(arrayInList(encodeValue(other)), undefined, JSON.stringify(other)?.slice(0, 40));
  }
  const withTrailer = new Uint8Array([...encodeValue([nums]), 0xc0]);
  assertEquals(arrayInList(withTrailer), undefined);
  assertEquals(arrayInList(encodeValue([nums]).subarray(0, 50)), undefined);
});

Deno.test("numberArray() is a plain array of the length asked; a decoded number list has no holes", () => {
  for (const n of [0, 1, 40, 100_000]) {
    const a = numberArray(n);
    assert(Array.isArray(a) && Object.getPrototypeOf(a) === Array.prototype);
    assertEquals(a.length, n);
  }
  const sent = Array.from({ length: 5000 }, (_, i) => i % 3 ? i / 7 : -i);
  const back = decodeValue(encodeValue(sent)) as number[];
  deepStrictEqual(back, sent);
  assertEquals(Object.keys(back).length, sent.length);
  back.push(1); // still an ordinary growable array
  assertEquals(back.length, 5001);
});

Deno.test("encodeValue(value, alloc) writes every byte of what alloc gives: the same bytes as fresh memory", () => {
  const values: unknown[] = [
    {
      big: new Uint8Array(200_000).map((_, i) => i % 7),
      list: Array.from({ length: 40_000 }, (_, i) => i / 3),
    },
    "a string without big parts",
    [new Float32Array(70_000).fill(1.5), new Uint8Array(65_536).fill(2)],
  ];
  for (const v of values) {
    const sizes: number[] = [];
    const dirty = (size: number) => {
      sizes.push(size);
      return new Uint8Array(size + 100).fill(0xee).subarray(0, size); // stale contents
    };
    const into = encodeValue(v, dirty);
    deepStrictEqual(sizes, [into.length], "alloc is asked once, for the exact size");
    deepStrictEqual(into, encodeValue(v));
  }
});
