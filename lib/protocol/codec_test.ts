import assert, { deepStrictEqual, equal as assertEquals, throws } from "node:assert/strict";
import { decodeValue, encodeValue, NUMBER_ARRAY_MIN, NumberList } from "./codec.ts";
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
