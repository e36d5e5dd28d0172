import assert from "node:assert/strict";
import { ENGINE_LIMITS } from "./sent_results.ts";
import { SPARE_MAX_BYTES, SPARE_MIN_BYTES, SpareBuffers } from "./spare_buffers.ts";

const BIG = SPARE_MIN_BYTES + 1;

Deno.test("SpareBuffers hands a big buffer back for a result that fits, once", () => {
  const spares = new SpareBuffers();
  const buffer = new ArrayBuffer(4 * BIG);
  spares.give(buffer);
  const view = spares.take(3 * BIG);
  assert.equal(view.buffer, buffer);
  assert.equal(view.byteOffset, 0);
  assert.equal(view.byteLength, 3 * BIG);
  assert.equal(spares.size, 0);
  assert.notEqual(spares.take(3 * BIG).buffer, buffer, "a spare is used once");
});

Deno.test("SpareBuffers picks the smallest spare that fits, never one over twice the size", () => {
  const spares = new SpareBuffers(3);
  const small = new ArrayBuffer(2 * BIG);
  const large = new ArrayBuffer(5 * BIG);
  spares.give(large);
  spares.give(small);
  assert.equal(spares.take(2 * BIG).buffer, small);
  assert.notEqual(spares.take(2 * BIG).buffer, large, "5× is more than twice the size");
  assert.equal(spares.take(3 * BIG).buffer, large);
});

Deno.test("SpareBuffers ignores small and detached buffers, fresh memory for small results", () => {
  const spares = new SpareBuffers();
  spares.give(new ArrayBuffer(SPARE_MIN_BYTES));
  const detached = new ArrayBuffer(2 * BIG);
  structuredClone(detached, { transfer: [detached] });
  spares.give(detached);
  assert.equal(spares.size, 0);
  const kept = new ArrayBuffer(2 * BIG);
  spares.give(kept);
  const small = spares.take(1000);
  assert.equal(small.byteLength, 1000);
  assert.notEqual(small.buffer, kept);
  assert.equal(spares.size, 1);
});

Deno.test("SpareBuffers keeps at most its limit, dropping the oldest", () => {
  const spares = new SpareBuffers(2);
  const [a, b, c] = [
    new ArrayBuffer(BIG + 10),
    new ArrayBuffer(BIG + 20),
    new ArrayBuffer(BIG + 30),
  ];
  spares.give(a);
  spares.give(b);
  spares.give(c);
  assert.equal(spares.size, 2);
  const got = [spares.take(BIG).buffer, spares.take(BIG).buffer];
  assert.deepEqual(new Set(got), new Set([b, c]));
});

Deno.test("results small enough to be kept for sending again are never handed back", () => {
  // a value sent_results.ts keeps must not move to the Worker while kept
  assert.ok(SPARE_MIN_BYTES >= ENGINE_LIMITS.maxValueBytes);
});

Deno.test("SpareBuffers does not keep huge buffers, and clear() drops every spare", () => {
  const spares = new SpareBuffers();
  spares.give(new ArrayBuffer(SPARE_MAX_BYTES + 1));
  assert.equal(spares.size, 0);
  spares.give(new ArrayBuffer(SPARE_MAX_BYTES));
  spares.give(new ArrayBuffer(BIG));
  assert.equal(spares.size, 2);
  spares.clear();
  assert.equal(spares.size, 0);
});

Deno.test("SpareBuffers refuses what is not an ArrayBuffer, even dressed as one", () => {
  const spares = new SpareBuffers();
  spares.give(new SharedArrayBuffer(2 * BIG) as unknown as ArrayBuffer);
  spares.give({ byteLength: 2 * BIG, detached: false } as unknown as ArrayBuffer);
  assert.equal(spares.size, 0);
});
