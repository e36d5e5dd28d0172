import assert from "node:assert/strict";
import { seededRandom } from "./seeded_random.ts";
import { SumTree } from "./_sum_tree.ts";

interface Item {
  name: number;
  slot: number;
}

Deno.test("SumTree total tracks random push, set and delete", () => {
  const random = seededRandom(3);
  const tree = new SumTree<Item>();
  const weights = new Map<Item, number>();
  for (let step = 0; step < 4000; step++) {
    const roll = random();
    const items = [...weights.keys()];
    if (roll < 0.35 || items.length === 0) {
      const item = { name: step, slot: -1 };
      const weight = random() < 0.2 ? 0 : random() * 10;
      tree.push(item, weight);
      weights.set(item, weight);
    } else if (roll < 0.8) {
      const item = items[Math.floor(random() * items.length)]!;
      const weight = random() < 0.2 ? 1e6 : random();
      tree.set(item, weight);
      weights.set(item, weight);
    } else {
      const item = items[Math.floor(random() * items.length)]!;
      tree.delete(item);
      weights.delete(item);
      assert.equal(tree.has(item), false);
    }
    const expected = [...weights.values()].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(tree.total - expected) <= 1e-9 * Math.max(1, expected));
    assert.equal(tree.size, weights.size);
    for (const [item, weight] of weights) assert.equal(tree.weight(item), weight);
  }
});

Deno.test("SumTree.sample() is proportional to weight and skips zero weights", () => {
  const random = seededRandom(4);
  const tree = new SumTree<Item>();
  const items = [0, 1, 2, 3, 4].map((name) => ({ name, slot: -1 }));
  const weights = [1, 0, 2, 0, 5];
  items.forEach((item, i) => tree.push(item, weights[i]!));
  const counts = [0, 0, 0, 0, 0];
  for (let i = 0; i < 40_000; i++) counts[tree.sample(random)!.name]!++;
  assert.equal(counts[1], 0);
  assert.equal(counts[3], 0);
  assert.ok(Math.abs(counts[4]! / 40_000 - 5 / 8) < 0.01);
  assert.ok(Math.abs(counts[0]! / 40_000 - 1 / 8) < 0.01);
  // Rounding at the top end never lands on a zero-weight leaf.
  assert.equal(tree.sample(() => 0.9999999999999999)!.name, 4);
  tree.set(items[4]!, 0);
  assert.equal(tree.sample(() => 0.9999999999999999)!.name, 2);
});

Deno.test("SumTree.sample() returns undefined when every weight is zero", () => {
  const tree = new SumTree<Item>();
  assert.equal(tree.sample(Math.random), undefined);
  const item = { name: 0, slot: -1 };
  tree.push(item, 0);
  assert.equal(tree.sample(Math.random), undefined);
  tree.set(item, 1);
  assert.equal(tree.sample(Math.random), item);
  tree.delete(item);
  assert.equal(tree.total, 0);
  assert.equal(tree.at(0), undefined);
});
