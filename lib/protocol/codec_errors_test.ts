// Through encodeValue/decodeValue: the Error extension as the codec uses it.
import assert, { deepStrictEqual, equal as assertEquals, throws } from "node:assert/strict";
import { decodeValue, encodeValue } from "./codec.ts";
import { ProtocolError } from "./errors.ts";

function roundTrip(v: unknown): unknown {
  return decodeValue(encodeValue(v));
}

Deno.test("Errors come back as their built-in class, with own properties and AggregateError members", () => {
  const classes = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];
  for (const ctor of classes) {
    const e = new ctor("boom", { cause: new Error("inner") });
    const back = roundTrip(e) as Error;
    assert(back instanceof ctor, `${ctor.name} came back as ${back.constructor.name}`);
    assertEquals(back.constructor, ctor);
    assertEquals(back.name, ctor.name);
    assertEquals(back.message, "boom");
    assertEquals(back.stack, e.stack);
    assert(back.cause instanceof Error);
    assertEquals((back.cause as Error).message, "inner");
    assert(!Object.hasOwn(back, "name"), "a built-in class needs no own name");
  }
  const withProps = Object.assign(new RangeError("r"), {
    code: "ERR_X",
    errno: -2,
    detail: { path: "/tmp", sizes: [1, 2] },
    fn: () => 1, // cannot travel: left out
    sym: Symbol("s"), // cannot travel: left out
  });
  const back = roundTrip(withProps) as RangeError & Record<string, unknown>;
  assert(back instanceof RangeError);
  assertEquals(back.code, "ERR_X");
  assertEquals(back.errno, -2);
  deepStrictEqual(back.detail, { path: "/tmp", sizes: [1, 2] });
  assert(!("fn" in back) && !("sym" in back));
  deepStrictEqual(Object.keys(back).sort(), ["code", "detail", "errno"]);

  const agg = new AggregateError([new TypeError("t"), 3, () => 0], "many", { cause: "why" });
  const aggBack = roundTrip(agg) as AggregateError;
  assert(aggBack instanceof AggregateError);
  assertEquals(aggBack.message, "many");
  assertEquals(aggBack.cause, "why");
  assertEquals(aggBack.errors.length, 3);
  assert(aggBack.errors[0] instanceof TypeError);
  assertEquals(aggBack.errors[1], 3);
  assertEquals(typeof aggBack.errors[2], "string"); // a member that cannot travel: its String()
  assert(!Object.hasOwn(aggBack, "props"));
});

Deno.test("other Error classes come back as Error with their name; causes that cannot travel as strings", () => {
  class HttpError extends Error {
    status = 404;
    constructor(message: string) {
      super(message, { cause: Promise.resolve() });
      this.name = "HttpError";
    }
  }
  const back = roundTrip(new HttpError("missing")) as Error & { status?: number };
  assertEquals(back.constructor, Error);
  assertEquals(back.name, "HttpError");
  assertEquals(back.message, "missing");
  assertEquals(back.status, 404);
  assertEquals(back.cause, "[object Promise]");
  // names that are Object.prototype keys or odd are just names
  for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
    const e = new Error("x");
    e.name = name;
    const b = roundTrip(e) as Error;
    assertEquals(b.constructor, Error);
    assertEquals(b.name, name);
  }
  // an Error that holds itself travels, the loop cut (the cause as a string, the property left out)
  const self = new Error("self") as Error & { me?: unknown };
  self.cause = self;
  self.me = self;
  const selfBack = roundTrip(self) as Error & { me?: unknown };
  assertEquals(selfBack.cause, "Error: self");
  assert(!("me" in selfBack));
});

Deno.test("decodeValue() rebuilds Errors safely: no __proto__, no prototype changes, bad props refused", () => {
  const ext5 = (record: unknown) => {
    const payload = encodeValue(record);
    assert(payload.length < 256);
    return new Uint8Array([0xc7, payload.length, 5, ...payload]);
  };
  const base = { name: "TypeError", message: "m", stack: "" };
  throws(
    () => decodeValue(ext5({ ...base, props: JSON.parse('{"__proto__": {"polluted": true}}') })),
    ProtocolError,
  );
  assertEquals(({} as Record<string, unknown>).polluted, undefined);
  const e = decodeValue(ext5({
    ...base,
    props: { constructor: { prototype: { polluted: true } }, prototype: 1, code: 7 },
  })) as TypeError & Record<string, unknown>;
  assert(e instanceof TypeError);
  assert(Object.hasOwn(e, "constructor") && Object.hasOwn(e, "prototype"));
  assertEquals(Object.getPrototypeOf(e), TypeError.prototype);
  assertEquals(e.code, 7);
  assertEquals((TypeError.prototype as unknown as Record<string, unknown>).polluted, undefined);
  // the record's own fields are never overridden by properties
  const f = decodeValue(ext5({ ...base, props: { message: "no", name: "no", stack: "no" } }));
  assertEquals((f as Error).message, "m");
  assertEquals((f as Error).name, "TypeError");
  for (const props of [[1], 5, "x", new Map([["a", 1]])]) {
    throws(() => decodeValue(ext5({ ...base, props })), /Cannot decode Error: its properties/);
  }
  // AggregateError members must be a list; anything else gives none
  const agg = decodeValue(ext5({ name: "AggregateError", message: "", stack: "", errors: 5 }));
  assert(agg instanceof AggregateError);
  deepStrictEqual(agg.errors, []);
});
