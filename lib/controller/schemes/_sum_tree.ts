/**
 * A complete binary tree of non-negative weights (a "sum tree"): O(log n) weight updates and
 * O(log n) weighted random choice. Each inner node is recomputed as `left + right` on every
 * update, never adjusted by differences, so floating-point error cannot accumulate over time.
 *
 * @module
 */

/** An item that can live in a {@linkcode SumTree}. */
export interface SumTreeItem {
  /** Leaf index in the tree; `-1` when the item is not in a tree. */
  slot: number;
}

/** Weighted items with O(log n) update and weighted sampling. */
export class SumTree<T extends SumTreeItem> {
  #items: T[] = [];
  /** Node sums; node 1 is the root, leaves are `#capacity .. 2 * #capacity - 1`. */
  #sums = new Float64Array(2);
  #capacity = 1;

  /** The number of items. */
  get size(): number {
    return this.#items.length;
  }

  /** The sum of all weights. */
  get total(): number {
    return this.#sums[1]!;
  }

  /**
   * @param item An item.
   * @returns Whether the item is in this tree.
   */
  has(item: T): boolean {
    return item.slot >= 0 && this.#items[item.slot] === item;
  }

  /**
   * @param index A leaf index below `size`.
   * @returns The item at that leaf.
   */
  at(index: number): T | undefined {
    return this.#items[index];
  }

  /**
   * @param item An item in this tree.
   * @returns Its current weight.
   */
  weight(item: T): number {
    return this.#sums[this.#capacity + item.slot]!;
  }

  /**
   * Adds an item. O(log n), amortized over capacity doubling.
   *
   * @param item An item not in any tree.
   * @param weight Its weight, non-negative and finite.
   */
  push(item: T, weight: number): void {
    if (this.#items.length === this.#capacity) this.#grow();
    item.slot = this.#items.length;
    this.#items.push(item);
    this.set(item, weight);
  }

  /**
   * Removes an item; the last item moves into its leaf. O(log n).
   *
   * @param item An item in this tree.
   */
  delete(item: T): void {
    const items = this.#items;
    const last = items.pop()!;
    const at = item.slot;
    item.slot = -1;
    if (last !== item) {
      const lastWeight = this.#sums[this.#capacity + items.length]!;
      this.#write(items.length, 0);
      items[at] = last;
      last.slot = at;
      this.#write(at, lastWeight);
    } else {
      this.#write(at, 0);
    }
  }

  /**
   * Changes an item's weight. O(log n).
   *
   * @param item An item in this tree.
   * @param weight The new weight, non-negative and finite.
   */
  set(item: T, weight: number): void {
    this.#write(item.slot, weight);
  }

  /**
   * Chooses an item with probability proportional to its weight.
   *
   * @param random Uniform numbers in `[0, 1)`.
   * @returns The chosen item, or `undefined` if the total weight is zero.
   */
  sample(random: () => number): T | undefined {
    const sums = this.#sums;
    if (!(sums[1]! > 0)) return undefined;
    let target = random() * sums[1]!;
    let node = 1;
    while (node < this.#capacity) {
      const left = sums[2 * node]!;
      const right = sums[2 * node + 1]!;
      // Never descend into a zero-weight subtree, even if rounding pushed `target` past the end.
      if (left > 0 && (target < left || !(right > 0))) {
        node = 2 * node;
      } else {
        target -= left;
        node = 2 * node + 1;
      }
    }
    return this.#items[node - this.#capacity];
  }

  #write(leaf: number, weight: number): void {
    const sums = this.#sums;
    let node = this.#capacity + leaf;
    sums[node] = weight;
    node >>= 1;
    while (node >= 1) {
      sums[node] = sums[2 * node]! + sums[2 * node + 1]!;
      node >>= 1;
    }
  }

  #grow(): void {
    const old = this.#sums;
    const oldCapacity = this.#capacity;
    const capacity = oldCapacity * 2;
    const sums = new Float64Array(2 * capacity);
    sums.set(old.subarray(oldCapacity, 2 * oldCapacity), capacity);
    for (let node = capacity - 1; node >= 1; node--) {
      sums[node] = sums[2 * node]! + sums[2 * node + 1]!;
    }
    this.#sums = sums;
    this.#capacity = capacity;
  }
}
