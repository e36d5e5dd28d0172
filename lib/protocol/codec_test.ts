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
import { toFloat64s } from "./codec_extensions.ts";
import { ProtocolError, SerializationError } from "./errors.ts";
import { RemoteRepr } from "./remote_repr.ts";

function roundTrip(v: unknown): unknown {
  return decodeValue(encodeValue(v));
}

Deno.test("encodeValue() round-trips primitives, undefined distinct from null", () => {
  for (const v of [null, undefined, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 40), NaN, Infinity]) {
    deepStrictEqual(roundTrip(v), v);
  }
  deepStrictEqual(roundTrip([undefined, null]), [undefined, null]);
  deepStrictEqual(roundTrip({ a: undefined }), { a: undefined });
});

Deno.test("encodeValue() round-trips unicode strings and bigint", () => {
  const s = "héllo wörld — 日本語 🎉 \u0000 \uffff";
  deepStrictEqual(roundTrip(s), s);
  for (const b of [0n, -1n, 2n ** 64n, -(3n ** 100n)]) deepStrictEqual(roundTrip(b), b);
});

Deno.test("encodeValue() round-trips Map, Set, Date, nested objects", () => {
  const d = new Date(1700000000123);
  const m = new Map<unknown, unknown>([["a", 1], [2, new Set([1, "x"])], [d, { n: [1, 2] }]]);
  const back = roundTrip({ m, d, list: [m] }) as { m: Map<unknown, unknown>; d: Date };
  assert(back.m instanceof Map);
  assertEquals(back.m.size, 3);
  deepStrictEqual(back, { m, d, list: [m] });
  assert(back.d instanceof Date);
  assertEquals(back.d.getTime(), d.getTime());
});

Deno.test("encodeValue() round-trips typed arrays as binary, not lists", () => {
  const f = new Float64Array([1.5, -2, Math.PI]);
  const i = new Int32Array([1, -2, 3]);
  const bi = new BigInt64Array([1n, -2n]);
  const buf = new ArrayBuffer(3);
  deepStrictEqual(roundTrip(f), f);
  deepStrictEqual(roundTrip(i), i);
  deepStrictEqual(roundTrip(bi), bi);
  deepStrictEqual(new Uint8Array(roundTrip(buf) as ArrayBuffer), new Uint8Array(buf));
  // binary, so the encoding is about the size of the data
  const big = new Float64Array(1000);
  assert(encodeValue(big).length < 8000 + 16);
  // a subarray view encodes only its window
  const sub = new Float64Array([1, 2, 3, 4]).subarray(1, 3);
  deepStrictEqual(roundTrip(sub), new Float64Array([2, 3]));
});

Deno.test("encodeValue() round-trips a 10 MB Uint8Array intact", () => {
  const big = new Uint8Array(10 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4093) big[i] = i % 251;
  const back = roundTrip(big) as Uint8Array;
  assert(back instanceof Uint8Array);
  assertEquals(back.length, big.length);
  deepStrictEqual(back, big);
});

Deno.test("encodeValue() round-trips Error with name, message, stack and cause", () => {
  const e = new TypeError("bad", { cause: { code: 7 } });
  const back = roundTrip(e) as Error;
  assert(back instanceof Error);
  assertEquals(back.name, "TypeError");
  assertEquals(back.message, "bad");
  assertEquals(back.stack, e.stack);
  deepStrictEqual(back.cause, { code: 7 });
});

Deno.test("encodeValue() refuses functions, symbols and class instances, naming the type", () => {
  class Foo {
    x = 1;
  }
  throws(() => encodeValue(function myFn() {}), (e: unknown) => {
    assert(e instanceof SerializationError);
    assert(e.message.includes("function myFn"), e.message);
    return true;
  });
  throws(() => encodeValue({ nested: [new Foo()] }), /Foo instance/);
  throws(() => encodeValue(Symbol("s")), SerializationError);
  throws(() => encodeValue(new WeakMap()), /WeakMap instance/);
  throws(() => encodeValue(Promise.resolve(1)), /Promise instance/);
});

Deno.test("decodeValue() refuses __proto__ keys and never pollutes prototypes", () => {
  // hand-built map {"__proto__": {"polluted": true}}
  const bytes = new Uint8Array([
    0x81,
    0xa9,
    ...new TextEncoder().encode("__proto__"),
    0x81,
    0xa8,
    ...new TextEncoder().encode("polluted"),
    0xc3,
  ]);
  throws(() => decodeValue(bytes), ProtocolError);
  assertEquals(({} as Record<string, unknown>).polluted, undefined);
  const ctor = decodeValue(encodeValue({ constructor: { prototype: { x: 1 } } })) as object;
  assertEquals(({} as Record<string, unknown>).x, undefined);
  assert(Object.getPrototypeOf(ctor) === Object.prototype);
});

Deno.test("decodeValue() rejects deep nesting, huge declared counts, truncation, trailing bytes", () => {
  const deep = new Uint8Array(1000).fill(0x91);
  const deepFull = new Uint8Array([...deep, 0xc0]);
  throws(() => decodeValue(deepFull), /nesting deeper/);
  // array32 declaring 4 billion elements in 5 bytes
  throws(() => decodeValue(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])), /declares/);
  throws(() => decodeValue(new Uint8Array([0xa5, 0x61])), /truncated/);
  throws(() => decodeValue(new Uint8Array([0xc0, 0xc0])), /trailing/);
  throws(() => decodeValue(new Uint8Array([0xc1])), /invalid msgpack/);
  // the depth limit is configurable
  throws(() => decodeValue(encodeValue([[[[1]]]]), { maxDepth: 3 }), /nesting/);
  deepStrictEqual(decodeValue(encodeValue([[[[1]]]]), { maxDepth: 4 }), [[[[1]]]]);
});

Deno.test("decodeValue() enforces string length limits", () => {
  throws(() => decodeValue(encodeValue("x".repeat(100)), { maxStrLength: 10 }), ProtocolError);
});

Deno.test("decodeValue() refuses extension types ipx never sends instead of passing them through", () => {
  for (const type of [42, 127, 9, -2]) {
    const bytes = new Uint8Array([0xd4, type & 0xff, 0]);
    throws(() => decodeValue(bytes), (e: unknown) => {
      assert(e instanceof ProtocolError, String(e));
      assert.match(e.message, new RegExp(`extension type ${type}: ipx never sends it`));
      return true;
    });
  }
});

Deno.test("decodeValue() limits depth through nested Map/Set/Error payloads, without recursion limits", () => {
  let inner = new Uint8Array([0xc0]);
  for (let i = 0; i < 5000; i++) {
    const payload = new Uint8Array([0x91, ...inner]);
    const n = payload.length;
    const head = n < 256 ? [0xc7, n, 3] : n < 65536 ? [0xc8, n >> 8, n & 255, 3] : [
      0xc9,
      n >>> 24,
      (n >> 16) & 255,
      (n >> 8) & 255,
      n & 255,
      3,
    ];
    inner = new Uint8Array([...head, ...payload]);
  }
  throws(() => decodeValue(inner), /nesting deeper than 256 levels/);
  // values still decode afterwards, and legitimate nesting works
  const nested = new Map([[1, new Set([new Map([["e", new Error("x")]])])]]);
  const back = decodeValue(encodeValue(nested)) as typeof nested;
  const error = [...back.get(1)!][0]!.get("e");
  assert(error instanceof Error);
  assertEquals(error.message, "x");
});

Deno.test("decodeValue() refuses malformed Map, Set and Error payloads with a clear message", () => {
  const extOf = (type: number, payload: number[]) =>
    new Uint8Array([0xc7, payload.length, type, ...payload]);
  throws(() => decodeValue(extOf(2, [0xc0])), /Cannot decode Map: its payload is not a list/);
  throws(() => decodeValue(extOf(2, [0x91, 0x01])), /Cannot decode Map/);
  throws(() => decodeValue(extOf(3, [0x05])), /Cannot decode Set/);
  throws(() => decodeValue(extOf(5, [0x90])), /Cannot decode Error: its payload is not a record/);
});

Deno.test("decodeValue() decodes constructor/prototype keys as own data, never touching prototypes", () => {
  const enc = new TextEncoder();
  // {"constructor": {"prototype": {"polluted": true}}, "prototype": {"polluted": true}}
  const bytes = new Uint8Array([
    0x82,
    0xab,
    ...enc.encode("constructor"),
    0x81,
    0xa9,
    ...enc.encode("prototype"),
    0x81,
    0xa8,
    ...enc.encode("polluted"),
    0xc3,
    0xa9,
    ...enc.encode("prototype"),
    0x81,
    0xa8,
    ...enc.encode("polluted"),
    0xc3,
  ]);
  const v = decodeValue(bytes) as Record<string, unknown>;
  assert(Object.hasOwn(v, "constructor") && Object.hasOwn(v, "prototype"));
  assert(Object.getPrototypeOf(v) === Object.prototype);
  assertEquals(({} as Record<string, unknown>).polluted, undefined);
  assertEquals((Object.prototype as Record<string, unknown>).polluted, undefined);
  assertEquals((Object as unknown as Record<string, unknown>).polluted, undefined);
  // __proto__ inside a Map ext or an Error ext is refused as well
  const protoMap = new Uint8Array([0x81, 0xa9, ...enc.encode("__proto__"), 0x80]);
  throws(() => decodeValue(new Uint8Array([0xc7, protoMap.length, 5, ...protoMap])), ProtocolError);
});

Deno.test("decodeValue() decodes invalid UTF-8 leniently (documented policy), never failing", () => {
  for (const n of [2, 40, 200]) {
    const s = decodeValue(new Uint8Array([0xd9, n, ...new Uint8Array(n).fill(0xff)]));
    assert.equal(typeof s, "string");
  }
});

Deno.test("decodeValue() enforces maxObjects before building anything", () => {
  const many = encodeValue(Array.from({ length: 100 }, () => ({})));
  throws(() => decodeValue(many, { maxObjects: 50 }), /more than 50 arrays, maps/);
  assertEquals((decodeValue(many, { maxObjects: 101 }) as unknown[]).length, 100);
});

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

Deno.test("an invalid Date round-trips as an invalid Date, at any depth; valid ones unchanged", () => {
  const back = roundTrip({
    v: new Date(NaN),
    list: [new Date("nope")],
    m: new Map([[1, new Date(NaN)]]),
  }) as {
    v: Date;
    list: Date[];
    m: Map<number, Date>;
  };
  for (const d of [back.v, back.list[0]!, back.m.get(1)!, roundTrip(new Date(NaN)) as Date]) {
    assert(d instanceof Date);
    assert(Number.isNaN(d.getTime()), `expected an invalid Date, got time ${d.getTime()}`);
  }
  // the edges of the valid range, and times before 1970 (the 96-bit form), stay exact
  for (const t of [0, -1, 1700000000123, -62198755200000, 8.64e15, -8.64e15]) {
    assertEquals((roundTrip(new Date(t)) as Date).getTime(), t);
  }
});

Deno.test("-0 stays -0 through every number path; 0 stays 0 and one byte", () => {
  const isNegZero = (x: unknown) => Object.is(x, -0);
  assert(isNegZero(roundTrip(-0)));
  const short = roundTrip([-0, 0, 1]) as number[];
  assert(isNegZero(short[0]) && Object.is(short[1], 0));
  const obj = roundTrip({ a: -0, nested: { b: [-0] } }) as { a: number; nested: { b: number[] } };
  assert(isNegZero(obj.a) && isNegZero(obj.nested.b[0]));
  assert(isNegZero((roundTrip(new Map([["k", -0]])) as Map<string, number>).get("k")));
  const long = Array.from({ length: NUMBER_ARRAY_MIN + 3 }, (_, i) => (i % 2 ? -0 : i));
  const packed = roundTrip(long) as number[];
  for (let i = 1; i < long.length; i += 2) assert(isNegZero(packed[i]), `index ${i}`);
  const mixed = roundTrip([...long, "x"]) as number[]; // not packed: one msgpack number each
  for (let i = 1; i < long.length; i += 2) assert(isNegZero(mixed[i]), `index ${i}`);
  const list = roundTrip(new NumberList(new Float64Array([-0, 0]))) as number[];
  assert(isNegZero(list[0]) && Object.is(list[1], 0));
  assert(isNegZero((roundTrip(new Float64Array([-0])) as Float64Array)[0]));
  assert(isNegZero((roundTrip(new Error("e", { cause: -0 })) as Error).cause));
  deepStrictEqual(encodeValue(0), new Uint8Array([0]));
});

Deno.test("what encodes decodes: the depth limit counts across Map, Set and Error payloads", () => {
  const wrappers: Record<string, (x: unknown) => unknown> = {
    array: (x) => [x],
    set: (x) => new Set([x]),
    map: (x) => new Map([["k", x]]),
    cause: (x) => new Error("e", { cause: x }),
    prop: (x) => Object.assign(new Error("e"), { p: x }),
    aggregate: (x) => new AggregateError([x], "a"),
    mixed: (x) => [new Map([["k", { s: new Set([x]) }]])],
  };
  for (const [kind, wrap] of Object.entries(wrappers)) {
    let v: unknown = 1;
    for (let n = 1; n <= 270; n++) {
      v = wrap(v);
      let bytes: Uint8Array;
      try {
        bytes = encodeValue(v);
      } catch (error) {
        assert(error instanceof SerializationError, `${kind} ${n}: ${error}`);
        assert.match(error.message, /nested deeper than 256 levels/, `${kind} ${n}`);
        continue;
      }
      decodeValue(bytes); // must not throw
    }
  }
});

Deno.test("a RemoteRepr travels as its type and text; a malformed one is refused", () => {
  const back = decodeValue(encodeValue({ out: new RemoteRepr("Function", "[Function: f]") })) as {
    out: RemoteRepr;
  };
  assert(back.out instanceof RemoteRepr);
  deepStrictEqual([back.out.type, back.out.text], ["Function", "[Function: f]"]);
  assertEquals(Deno.inspect(back.out), "[Function: f]");
  assertEquals(String(back.out), "[Function: f]");
  const payload = encodeValue(["only one"]); // not [type, text]
  throws(
    () => decodeValue(new Uint8Array([0xc7, payload.length, 8, ...payload])),
    /Cannot decode RemoteRepr/,
  );
});
