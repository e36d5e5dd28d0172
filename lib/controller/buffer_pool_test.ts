import assert from "node:assert/strict";
import { BufferPool, POOL_GRAIN } from "./buffer_pool.ts";

Deno.test("BufferPool hands out new buffers rounded up to its grain, small ones exact", () => {
  const pool = new BufferPool(64 * POOL_GRAIN);
  assert.equal(pool.take(POOL_GRAIN / 2).byteLength, POOL_GRAIN);
  assert.equal(pool.take(POOL_GRAIN + 1).byteLength, 2 * POOL_GRAIN);
  assert.equal(pool.take(10).byteLength, 10);
  assert.equal(pool.take(0).byteLength, 0);
  pool.give(new ArrayBuffer(10));
  pool.give(new ArrayBuffer(POOL_GRAIN - 1));
  assert.equal(pool.kept, 0, "buffers under a grain are not kept");
});

Deno.test("BufferPool reuses the smallest kept buffer that fits, not one over twice the size", () => {
  const pool = new BufferPool(64 * POOL_GRAIN);
  const small = pool.take(2 * POOL_GRAIN);
  const big = pool.take(8 * POOL_GRAIN);
  pool.give(big);
  pool.give(small);
  assert.equal(pool.kept, 10 * POOL_GRAIN);
  assert.equal(pool.take(2 * POOL_GRAIN - 5), small);
  assert.equal(pool.kept, 8 * POOL_GRAIN);
  const fresh = pool.take(POOL_GRAIN);
  assert.notEqual(fresh, big, "8 grains is too big for 1");
  assert.equal(pool.take(5 * POOL_GRAIN), big);
  assert.equal(pool.kept, 0);
});

Deno.test("BufferPool keeps at most its capacity and drops detached buffers", () => {
  const pool = new BufferPool(3 * POOL_GRAIN);
  const a = pool.take(2 * POOL_GRAIN);
  const b = pool.take(2 * POOL_GRAIN);
  pool.give(a);
  pool.give(b); // would make 4 grains
  assert.equal(pool.kept, 2 * POOL_GRAIN);
  const c = new ArrayBuffer(POOL_GRAIN);
  structuredClone(c, { transfer: [c] }); // detached: nothing left to reuse
  pool.give(c);
  assert.equal(pool.kept, 2 * POOL_GRAIN);
  pool.clear();
  assert.equal(pool.kept, 0);
  assert.notEqual(pool.take(2 * POOL_GRAIN), a);
});
