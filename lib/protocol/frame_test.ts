import assert, { deepStrictEqual, throws } from "node:assert/strict";
import {
  encodeFrame,
  FrameDecoder,
  FrameTooLargeError,
  INITIAL_PAYLOAD_BYTES,
  isTlsRecordHeader,
} from "./frame.ts";

function sample(): Uint8Array[] {
  const payloads = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300)];
  for (let i = 0; i < 300; i++) payloads[2]![i] = i & 0xff;
  payloads.push(new Uint8Array([9]));
  return payloads;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("FrameDecoder.push() decodes frames fed one byte at a time", () => {
  const payloads = sample();
  const wire = concat(payloads.map(encodeFrame));
  const d = new FrameDecoder();
  const got: Uint8Array[] = [];
  for (const b of wire) got.push(...d.push(new Uint8Array([b])));
  deepStrictEqual(got, payloads);
  assert.equal(d.buffered, 0);
});

Deno.test("FrameDecoder.push() decodes the same for a split at every byte offset", () => {
  const payloads = sample();
  const wire = concat(payloads.map(encodeFrame));
  for (let cut = 0; cut <= wire.length; cut++) {
    const d = new FrameDecoder();
    const got = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
    deepStrictEqual(got, payloads, `split at ${cut}`);
  }
});

Deno.test("FrameDecoder.push() decodes the same for random chunk splits", () => {
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    const p = new Uint8Array(Math.floor(rand() * 2000));
    for (let j = 0; j < p.length; j++) p[j] = Math.floor(rand() * 256);
    payloads.push(p);
  }
  const wire = concat(payloads.map(encodeFrame));
  for (let trial = 0; trial < 20; trial++) {
    const d = new FrameDecoder();
    const got: Uint8Array[] = [];
    let pos = 0;
    while (pos < wire.length) {
      const n = 1 + Math.floor(rand() * 5000);
      got.push(...d.push(wire.subarray(pos, pos + n)));
      pos += n;
    }
    deepStrictEqual(got, payloads);
  }
});

Deno.test("FrameDecoder.push() rejects an oversized header before allocating the payload", () => {
  const d = new FrameDecoder({ maxFrameBytes: 1024 });
  // 0xffffffff declared; only the 4 header bytes are sent
  throws(() => d.push(new Uint8Array([0xff, 0xff, 0xff, 0xff])), (e: unknown) => {
    assert(e instanceof FrameTooLargeError);
    assert.equal(e.size, 0xffffffff);
    assert.equal(e.limit, 1024);
    return true;
  });
  // also when the header arrives byte by byte
  const d2 = new FrameDecoder({ maxFrameBytes: 1024 });
  d2.push(new Uint8Array([0]));
  d2.push(new Uint8Array([0]));
  d2.push(new Uint8Array([4]));
  throws(() => d2.push(new Uint8Array([1])), FrameTooLargeError);
  // exactly at the limit is fine
  const d3 = new FrameDecoder({ maxFrameBytes: 1024 });
  assert.equal(d3.push(encodeFrame(new Uint8Array(1024)))[0]!.length, 1024);
});

Deno.test("FrameDecoder.push() returns payloads that do not alias the input chunk", () => {
  const wire = encodeFrame(new Uint8Array([1, 2, 3]));
  const [p] = new FrameDecoder().push(wire);
  wire.fill(0);
  deepStrictEqual(p, new Uint8Array([1, 2, 3]));
});

Deno.test("FrameDecoder.push() allocates with the bytes received, not the length declared", () => {
  const d = new FrameDecoder();
  const declared = 64 * 1024 * 1024;
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, declared);
  d.push(header);
  assert.equal(d.inFrame, true, "a header alone starts a frame");
  d.push(new Uint8Array(10));
  assert.ok(d.allocated <= INITIAL_PAYLOAD_BYTES, `allocated ${d.allocated} for 10 bytes`);
  let received = 10;
  const chunk = new Uint8Array(256 * 1024);
  while (received < 5 * 1024 * 1024) {
    d.push(chunk);
    received += chunk.length;
    assert.ok(d.allocated <= Math.max(INITIAL_PAYLOAD_BYTES, 2 * received), `${d.allocated}`);
  }
});

Deno.test("FrameDecoder.push() assembles a multi-megabyte payload split into odd chunks", () => {
  const payload = new Uint8Array(3 * 1024 * 1024 + 17);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
  const wire = encodeFrame(payload);
  const d = new FrameDecoder();
  const got: Uint8Array[] = [];
  for (let pos = 0, n = 1; pos < wire.length; pos += n, n = (n * 7 + 3) % 300_001 + 1) {
    got.push(...d.push(wire.subarray(pos, pos + n)));
  }
  assert.equal(got.length, 1);
  deepStrictEqual(got[0], payload);
  assert.equal(d.inFrame, false);
  assert.equal(d.allocated, 0);
});

Deno.test("FrameDecoder.pushOne() stops after the first frame and leaves the rest unread", () => {
  const first = encodeFrame(new Uint8Array([1, 2]));
  // a second frame that would break a 16-byte limit must not be looked at yet
  const wire = concat([first, encodeFrame(new Uint8Array(100))]);
  const d = new FrameDecoder({ maxFrameBytes: 16 });
  const { frame, used } = d.pushOne(wire);
  deepStrictEqual(frame, new Uint8Array([1, 2]));
  assert.equal(used, first.length);
  assert.equal(d.inFrame, false);
  d.maxFrameBytes = 1000;
  assert.equal(d.pushOne(wire.subarray(used)).frame?.length, 100);
  // an incomplete frame uses the whole chunk and yields nothing
  const partial = new FrameDecoder().pushOne(first.subarray(0, 5));
  assert.deepEqual(partial, { frame: undefined, used: 5 });
});

Deno.test("FrameDecoder.directRoom() lets the rest of a big frame be read in place", () => {
  const d = new FrameDecoder();
  const payload = new Uint8Array(200_000).map((_, i) => i % 251);
  const frame = encodeFrame(payload);
  assert.equal(d.push(frame.subarray(0, 1000)).length, 0);
  assert.equal(d.directRoom(), undefined, "not before authentication (eager allocation off)");
  const e = new FrameDecoder();
  e.eagerAllocation = true;
  assert.equal(e.push(frame.subarray(0, 1000)).length, 0);
  let at = 1000;
  let done: Uint8Array | undefined;
  while (!done) {
    const room = e.directRoom(1)!;
    const n = Math.min(room.length, 70_000);
    room.set(frame.subarray(at, at + n));
    at += n;
    done = e.commitDirect(n);
  }
  assert.equal(at, frame.length);
  assert.deepEqual(done, payload);
  assert.equal(e.inFrame, false);
  assert.equal(e.directRoom(1), undefined);
  assert.throws(() => e.commitDirect(1), RangeError);
  // small remainders go through push()
  assert.equal(e.push(frame.subarray(0, frame.length - 10)).length, 0);
  assert.equal(e.directRoom(), undefined);
  assert.deepEqual(e.push(frame.subarray(frame.length - 10)), [payload]);
});

Deno.test("isTlsRecordHeader: TLS record starts (types 20-23, version 3.0-3.4), nothing else", () => {
  const header = (b: number[]) => ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
  for (const type of [0x14, 0x15, 0x16, 0x17]) {
    for (const minor of [0, 1, 2, 3, 4]) {
      assert.ok(isTlsRecordHeader(header([type, 0x03, minor, 0x00])), `${type} 3.${minor}`);
    }
  }
  // a ClientHello and a fatal alert as they arrive, read as frame lengths
  assert.ok(isTlsRecordHeader(369295618)); // 16 03 01 02
  assert.ok(isTlsRecordHeader(352518912)); // 15 03 03 00
  for (
    const b of [
      [0x13, 0x03, 0x03, 0x00],
      [0x18, 0x03, 0x03, 0x00],
      [0x16, 0x02, 0x00, 0x00],
      [0x16, 0x03, 0x05, 0x00],
      [0x00, 0x00, 0x10, 0x00],
      [0x47, 0x45, 0x54, 0x20], // "GET "
    ]
  ) {
    assert.equal(isTlsRecordHeader(header(b)), false, b.join(","));
  }
});
