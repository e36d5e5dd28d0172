import assert from "node:assert/strict";
import { type ResultMsg, SentResults } from "./sent_results.ts";

const result = (msgId: string, bytes = 0): ResultMsg => ({
  type: "result",
  msgId,
  ok: true,
  ...(bytes ? { value: new Uint8Array(bytes) } : {}),
  executionCount: 1,
  started: 1,
  completed: 2,
});

Deno.test("SentResults keeps small results whole, big ones as ids, within its limits", () => {
  const s = new SentResults({ maxIds: 4, maxValueBytes: 100, maxKeptBytes: 250 });
  s.add(result("a", 100));
  s.add(result("big", 101));
  s.add(result("b", 100));
  assert.deepEqual(s.ids(), ["a", "big", "b"]);
  assert.equal(s.get("big"), "dropped");
  assert.equal((s.get("a") as ResultMsg).value?.length, 100);
  assert.equal(s.keptBytes, 200);
  // past the byte bound the oldest give up their values, keeping their places
  s.add(result("c", 100));
  assert.equal(s.get("a"), "dropped");
  assert.deepEqual(s.ids(), ["a", "big", "b", "c"]);
  assert.equal(s.keptBytes, 200);
  // past the id bound the oldest ids go
  s.add(result("d"));
  assert.deepEqual(s.ids(), ["big", "b", "c", "d"]);
  assert.equal(s.get("a"), undefined);
  // sending one again moves it to the end
  s.add(result("b", 10));
  assert.deepEqual(s.ids(), ["big", "c", "d", "b"]);
  assert.equal(s.keptBytes, 110);
  s.clear();
  assert.deepEqual([s.ids(), s.keptBytes], [[], 0]);
});

Deno.test("SentResults.resendable: the kept message, or a failure saying why", () => {
  const s = new SentResults({ maxIds: 10, maxValueBytes: 10, maxKeptBytes: 100 });
  s.add(result("small", 5));
  s.add(result("big", 50));
  assert.deepEqual(s.resendable("small", 3, 9), result("small", 5));
  const big = s.resendable("big", 3, 9);
  assert.equal(big.ok, false);
  assert.match(big.error!.evalue, /engine 3 finished task big, but .*too big to keep/);
  assert.match(s.resendable("gone", 3, 9).error!.evalue, /no longer kept/);
});
