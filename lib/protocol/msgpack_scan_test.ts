import { throws } from "node:assert/strict";
import { ProtocolError } from "./errors.ts";
import { scanMsgpack } from "./msgpack_scan.ts";

const NESTED = new Set([2, 3, 5]);

/** An ext8 value of `type` around `payload`. */
function ext(type: number, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = payload.length;
  const head = n < 256
    ? [0xc7, n, type & 0xff]
    : [0xc9, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255, type & 0xff];
  return new Uint8Array([...head, ...payload]);
}

Deno.test("scanMsgpack() accepts every msgpack form once, with no trailing bytes", () => {
  const forms = [
    [0x00],
    [0xe0],
    [0xa1, 0x61],
    [0x92, 0xc0, 0xc3],
    [0x81, 0xa1, 0x6b, 0x01],
    [0xcc, 1],
    [0xcd, 1, 2],
    [0xce, 1, 2, 3, 4],
    [0xcf, 1, 2, 3, 4, 5, 6, 7, 8],
    [0xca, 0, 0, 0, 0],
    [0xcb, 0, 0, 0, 0, 0, 0, 0, 0],
    [0xc4, 2, 9, 9],
    [0xc5, 0, 1, 9],
    [0xc6, 0, 0, 0, 1, 9],
    [0xd9, 1, 0x61],
    [0xda, 0, 1, 0x61],
    [0xdb, 0, 0, 0, 1, 0x61],
    [0xd4, 9, 1],
    [0xd5, 9, 1, 2],
    [0xd6, 9, 1, 2, 3, 4],
    [0xd7, 9, ...new Array(8).fill(0)],
    [0xd8, 9, ...new Array(16).fill(0)],
    [0xc7, 1, 9, 0],
    [0xc8, 0, 1, 9, 0],
    [0xc9, 0, 0, 0, 1, 9, 0],
    [0xdc, 0, 1, 0xc0],
    [0xdd, 0, 0, 0, 1, 0xc0],
    [0xde, 0, 1, 0xc0, 0xc0],
    [0xdf, 0, 0, 0, 1, 0xc0, 0xc0],
  ];
  for (const form of forms) {
    const bytes = new Uint8Array(form);
    scanMsgpack(bytes, { nestedExtTypes: NESTED });
    throws(() => scanMsgpack(new Uint8Array([...form, 0xc0])), /trailing/, `${form}`);
    if (form.length > 1) {
      throws(() => scanMsgpack(bytes.subarray(0, bytes.length - 1)), ProtocolError, `${form}`);
    }
  }
});

Deno.test("scanMsgpack() counts depth across nested extension payloads", () => {
  // Set([Set([...])]) nested 200 times: 400 levels with the arrays inside
  let value: Uint8Array<ArrayBuffer> = new Uint8Array([0xc0]);
  for (let i = 0; i < 200; i++) value = ext(3, new Uint8Array([0x91, ...value]));
  throws(() => scanMsgpack(value, { nestedExtTypes: NESTED }), /nesting deeper than 256 levels/);
  scanMsgpack(value, { nestedExtTypes: NESTED, maxDepth: 400 });
  // other extension types are opaque: their payload is skipped, not scanned
  scanMsgpack(ext(3, new Uint8Array([0xc1])));
  throws(() => scanMsgpack(ext(3, new Uint8Array([0xc1])), { nestedExtTypes: NESTED }), /0xc1/);
});

Deno.test("scanMsgpack() holds a nested extension's value to its payload bounds", () => {
  // payload with two values: trailing bytes inside the extension
  throws(
    () => scanMsgpack(ext(2, new Uint8Array([0xc0, 0xc0])), { nestedExtTypes: NESTED }),
    /extension payload has 1 unexpected trailing bytes/,
  );
  // a value running past the payload into the bytes after it
  const overrun = new Uint8Array([0x92, ...ext(2, new Uint8Array([0x92, 0xc0])), 0xc0]);
  throws(() => scanMsgpack(overrun, { nestedExtTypes: NESTED }), /declares 2 elements but only 1/);
  // an array count that cannot fit in the payload, though it fits in the whole buffer
  const tight = new Uint8Array([
    0x92,
    ...ext(3, new Uint8Array([0xdc, 0, 5])),
    0xc4,
    10,
    ...new Uint8Array(10),
  ]);
  throws(() => scanMsgpack(tight, { nestedExtTypes: NESTED }), /declares 5 elements/);
  throws(() => scanMsgpack(ext(5, new Uint8Array(0)), { nestedExtTypes: NESTED }), /empty payload/);
});

Deno.test("scanMsgpack() refuses counts larger than the bytes left, before anything is built", () => {
  throws(() => scanMsgpack(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])), /declares 4294967295/);
  throws(() => scanMsgpack(new Uint8Array([0xdf, 0x10, 0, 0, 0])), /declares 536870912/);
  throws(() => scanMsgpack(new Uint8Array([0xc6, 0xff, 0xff, 0xff, 0xff])), /truncated/);
});

Deno.test("scanMsgpack() counts arrays, maps, binary and extension values against maxObjects", () => {
  // [ {}, [], bin, fixext, "str", 1, nil ]: 5 objects (the outer array included)
  const value = new Uint8Array([0x97, 0x80, 0x90, 0xc4, 1, 9, 0xd4, 9, 0, 0xa1, 0x61, 0x01, 0xc0]);
  scanMsgpack(value, { maxObjects: 5 });
  throws(() => scanMsgpack(value, { maxObjects: 4 }), /more than 4 arrays, maps and binary values/);
  // scalars and strings are not counted
  const scalars = new Uint8Array([0xdc, 0x03, 0xe8, ...new Array(1000).fill(0xa0)]);
  scanMsgpack(scalars, { maxObjects: 1 });
  // a frame of one-byte empty maps stops at the budget, long before its end
  const maps = new Uint8Array(5 + 1_000_000).fill(0x80);
  maps.set([0xdd, 0x00, 0x0f, 0x42, 0x40]);
  throws(() => scanMsgpack(maps, { maxObjects: 10_000 }), /more than 10000/);
});
