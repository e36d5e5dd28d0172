import assert from "node:assert/strict";
import {
  bitString,
  boolean,
  children,
  DerError,
  explicit,
  implicit,
  integer,
  namedBits,
  octetString,
  oid,
  readElement,
  sequence,
  time,
  tlv,
  utf8String,
} from "./der.ts";

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

Deno.test("lengths: short form below 128, long form with the fewest bytes from 128", () => {
  assert.equal(hex(tlv(0x04, new Uint8Array(0))), "04 00");
  assert.equal(hex(tlv(0x04, new Uint8Array(127))).slice(0, 5), "04 7f");
  assert.equal(hex(tlv(0x04, new Uint8Array(128))).slice(0, 8), "04 81 80");
  assert.equal(hex(tlv(0x04, new Uint8Array(255))).slice(0, 8), "04 81 ff");
  assert.equal(hex(tlv(0x04, new Uint8Array(256))).slice(0, 11), "04 82 01 00");
  assert.equal(tlv(0x04, new Uint8Array(70_000)).length, 70_000 + 5); // 04 83 01 11 70
  assert.equal(hex(tlv(0x30, Uint8Array.of(1), Uint8Array.of(2, 3))), "30 03 01 02 03");
});

Deno.test("integers are minimal and non-negative: a 00 only before a set top bit", () => {
  assert.equal(hex(integer(0)), "02 01 00");
  assert.equal(hex(integer(2)), "02 01 02");
  assert.equal(hex(integer(127)), "02 01 7f");
  assert.equal(hex(integer(128)), "02 02 00 80");
  assert.equal(hex(integer(256)), "02 02 01 00");
  assert.equal(hex(integer(Uint8Array.of(0, 0, 0x12))), "02 01 12");
  assert.equal(hex(integer(Uint8Array.of(0xff, 0x01))), "02 03 00 ff 01");
  assert.equal(hex(integer(Uint8Array.of(0, 0))), "02 01 00");
  assert.throws(() => integer(-1), RangeError);
  assert.throws(() => integer(1.5), RangeError);
});

Deno.test("object identifiers: first two arcs in one byte, base-128 for big arcs", () => {
  assert.equal(hex(oid("2.5.29.19")), "06 03 55 1d 13");
  assert.equal(hex(oid("1.2.840.10045.4.3.2")), "06 08 2a 86 48 ce 3d 04 03 02");
  assert.equal(hex(oid("1.3.6.1.5.5.7.3.1")), "06 08 2b 06 01 05 05 07 03 01");
  assert.throws(() => oid("1"), RangeError);
  assert.throws(() => oid("3.1"), RangeError);
  assert.throws(() => oid("1.40"), RangeError);
  assert.throws(() => oid("1.2.x"), RangeError);
});

Deno.test("booleans, strings, bit strings and context tags", () => {
  assert.equal(hex(boolean(true)), "01 01 ff");
  assert.equal(hex(boolean(false)), "01 01 00");
  assert.equal(hex(octetString(Uint8Array.of(9))), "04 01 09");
  assert.equal(hex(utf8String("é")), "0c 02 c3 a9");
  assert.equal(hex(bitString(Uint8Array.of(0xab))), "03 02 00 ab");
  // KeyUsage: keyCertSign (5) + cRLSign (6) → 06 with one unused bit; digitalSignature (0) → 80
  assert.equal(hex(namedBits([5, 6])), "03 02 01 06");
  assert.equal(hex(namedBits([0])), "03 02 07 80");
  assert.equal(hex(namedBits([0, 8])), "03 03 07 80 80");
  assert.equal(hex(namedBits([])), "03 01 00");
  assert.equal(hex(explicit(0, integer(2))), "a0 03 02 01 02");
  assert.equal(hex(implicit(7, Uint8Array.of(127, 0, 0, 1))), "87 04 7f 00 00 01");
});

Deno.test("times: UTCTime before 2050, GeneralizedTime from 2050, to the second in UTC", () => {
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(2));
  const t1 = time(new Date("2026-11-29T06:38:02.999Z"));
  assert.equal(t1[0], 0x17);
  assert.equal(text(t1), "261129063802Z");
  const t2 = time(new Date("2050-01-01T00:00:00Z"));
  assert.equal(t2[0], 0x18);
  assert.equal(text(t2), "20500101000000Z");
  assert.equal(text(time(new Date("1999-12-31T23:59:59Z"))), "991231235959Z");
});

Deno.test("readElement and children walk what the writers wrote, and refuse bad lengths", () => {
  const big = octetString(new Uint8Array(300));
  const der = sequence(integer(5), big, sequence());
  const outer = readElement(der, 0);
  assert.deepEqual(outer, { tag: 0x30, start: 0, contentStart: 4, end: der.length });
  const [a, b, c] = children(der, outer);
  assert.deepEqual(a, { tag: 0x02, start: 4, contentStart: 6, end: 7 });
  assert.equal(b!.end - b!.contentStart, 300);
  assert.deepEqual(c, { tag: 0x30, start: b!.end, contentStart: b!.end + 2, end: b!.end + 2 });
  // truncated, running past the container, indefinite, non-minimal, high tag number
  assert.throws(() => readElement(Uint8Array.of(0x04), 0), DerError);
  assert.throws(() => readElement(Uint8Array.of(0x04, 0x03, 1), 0), DerError);
  assert.throws(() => readElement(Uint8Array.of(0x30, 0x80, 0, 0), 0), DerError);
  assert.throws(() => readElement(Uint8Array.of(0x04, 0x81, 0x05, 1, 2, 3, 4, 5), 0), DerError);
  assert.throws(() => readElement(Uint8Array.of(0x1f, 0x01, 0x00), 0), DerError);
  const inner = sequence(integer(1));
  assert.throws(
    () => children(Uint8Array.of(0x30, 0x02, ...inner), readElement(inner, 0)),
    DerError,
  );
});
