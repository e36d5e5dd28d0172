// Through encodeValue: the descriptions in the messages of values the codec refuses.
import assert, { deepStrictEqual, equal as assertEquals, throws } from "node:assert/strict";
import { decodeValue, encodeValue } from "./codec.ts";
import { SerializationError } from "./errors.ts";

function roundTrip(v: unknown): unknown {
  return decodeValue(encodeValue(v));
}

Deno.test("encodeValue() names the type of anything refused, generators included", () => {
  function* gen() {}
  throws(() => encodeValue({ g: gen() }), (e: unknown) => {
    assert(e instanceof SerializationError);
    assert.match(e.message, /of type Generator instance: ipx sends/);
    return true;
  });
  throws(() => encodeValue((async function* () {})()), /AsyncGenerator instance/);
  throws(() => encodeValue(Object.create(Object.create(null))), /of type Object instance/);
  throws(() => encodeValue(new (class {})()), /of type Object instance/);
  throws(() => encodeValue(new Proxy(new Map(), {})), /Map instance|Cannot serialize/);
  throws(() => encodeValue([].values()), /of type (Array )?Iterator instance/);
});

Deno.test("encodeValue() says a circular value is circular, and where it loops", () => {
  const o: Record<string, unknown> = { a: { b: {} } };
  ((o.a as Record<string, unknown>).b as Record<string, unknown>).c = o.a;
  throws(() => encodeValue(o), (e: unknown) => {
    assert(e instanceof SerializationError);
    assertEquals(
      e.message,
      "Cannot serialize a value of type Object: it is circular: value.a.b.c refers back to " +
        "value.a; send a copy without the cycle",
    );
    return true;
  });
  const list: unknown[] = [1];
  list.push({ "odd key": list });
  throws(() => encodeValue(list), /circular: value\[1\]\["odd key"\] refers back to value;/);
  const m = new Map<string, unknown>();
  m.set("x", [m]);
  throws(
    () => encodeValue({ m }),
    /type Object: it is circular: value\.m\.get\("x"\)\[0\] refers back to value\.m;/,
  );
  const s = new Set<unknown>();
  s.add({ s });
  throws(
    () => encodeValue(s),
    /type Set: it is circular: value\.values\(\)\[0\]\.s refers back to value;/,
  );
  // the encoder is fine afterwards
  deepStrictEqual(roundTrip({ ok: [1] }), { ok: [1] });
});

Deno.test("encodeValue() says a value too deeply nested is too deep, and where", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 300; i++) deep = { d: deep };
  throws(() => encodeValue([deep]), (e: unknown) => {
    assert(e instanceof SerializationError);
    assert.match(
      e.message,
      /^Cannot serialize a value of type Array: it is nested deeper than 256 levels \(at value\[0\]\.d\.d\.d\.d….d\.d\.d\.d\.d \(256 levels down\)\); send it less deeply nested/,
    );
    return true;
  });
});
