import assert from "node:assert/strict";
import { seededRandom } from "./seeded_random.ts";

Deno.test("seededRandom() is reproducible and stays in [0, 1)", () => {
  const a = seededRandom(42);
  const b = seededRandom(42);
  let sum = 0;
  for (let i = 0; i < 10_000; i++) {
    const x = a();
    assert.equal(x, b());
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  assert.ok(Math.abs(sum / 10_000 - 0.5) < 0.02);
  assert.notEqual(seededRandom(1)(), seededRandom(2)());
});
