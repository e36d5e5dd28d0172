import assert from "node:assert/strict";
import { seededRandom } from "./seeded_random.ts";
import { IndexedHeap } from "./_indexed_heap.ts";

interface Item {
  key: number;
  name: number;
  slot: number;
}

function less(a: Item, b: Item): boolean {
  return a.key < b.key || (a.key === b.key && a.name < b.name);
}

function sorted(items: Item[]): Item[] {
  return items.slice().sort((a, b) => a.key - b.key || a.name - b.name);
}

function assertHeap(heap: IndexedHeap<Item>): void {
  const items = heap.toArray();
  items.forEach((item, at) => {
    assert.equal(item.slot, at);
    if (at > 0) assert.ok(!less(item, items[(at - 1) >> 1]!), "heap order broken");
  });
}

Deno.test("IndexedHeap keeps order under random push, update and delete", () => {
  const random = seededRandom(1);
  const heap = new IndexedHeap<Item>(less);
  const live: Item[] = [];
  for (let step = 0; step < 5000; step++) {
    const roll = random();
    if (roll < 0.4 || live.length === 0) {
      const item = { key: Math.floor(random() * 20), name: step, slot: -1 };
      heap.push(item);
      live.push(item);
    } else if (roll < 0.8) {
      const item = live[Math.floor(random() * live.length)]!;
      item.key = Math.floor(random() * 20);
      heap.update(item);
    } else {
      const at = Math.floor(random() * live.length);
      const [item] = live.splice(at, 1);
      heap.delete(item!);
      assert.equal(item!.slot, -1);
      assert.equal(heap.has(item!), false);
    }
    assert.equal(heap.size, live.length);
    assert.equal(heap.peek(), sorted(live)[0]);
  }
  assertHeap(heap);
});

Deno.test("IndexedHeap.findFirst() returns the smallest accepted item", () => {
  const random = seededRandom(2);
  const heap = new IndexedHeap<Item>(less);
  const all: Item[] = [];
  for (let name = 0; name < 200; name++) {
    const item = { key: Math.floor(random() * 50), name, slot: -1 };
    heap.push(item);
    all.push(item);
  }
  for (let trial = 0; trial < 200; trial++) {
    const modulus = 2 + Math.floor(random() * 40);
    const accept = (item: Item) => item.name % modulus === 0;
    assert.equal(heap.findFirst(accept), sorted(all).find(accept));
  }
  assert.equal(heap.findFirst(() => false), undefined);
  assertHeap(heap); // searching leaves the heap untouched
});

Deno.test("IndexedHeap.findFirst() honours prune and limit", () => {
  const heap = new IndexedHeap<Item>(less);
  for (let name = 0; name < 10; name++) heap.push({ key: name, name, slot: -1 });
  const big = (item: Item) => item.key >= 5;
  assert.equal(heap.findFirst((item) => item.key === 7, { prune: big }), undefined);
  assert.equal(heap.findFirst((item) => item.key === 4, { prune: big })?.key, 4);
  assert.equal(heap.findFirst((item) => item.key === 4, { limit: 3 }), null);
  assert.equal(heap.findFirst((item) => item.key === 4, { limit: 5 })?.key, 4);
  assert.equal(new IndexedHeap<Item>(less).findFirst(() => true), undefined);
});
