import assert from "node:assert/strict";
import { Fifo } from "./fifo.ts";

Deno.test("Fifo keeps order across compaction and unshift", () => {
  const q = new Fifo<number>();
  for (let i = 0; i < 5000; i++) q.push(i);
  for (let i = 0; i < 3000; i++) assert.equal(q.shift(), i);
  q.unshift(-1);
  assert.equal(q.length, 2001);
  assert.equal(q.peek(), -1);
  assert.equal(q.shift(), -1);
  assert.deepEqual([...q].slice(0, 3), [3000, 3001, 3002]);
  for (let i = 3000; i < 5000; i++) assert.equal(q.shift(), i);
  assert.equal(q.shift(), undefined);
  assert.equal(q.length, 0);
  q.unshift(9);
  assert.deepEqual([...q], [9]);
});
