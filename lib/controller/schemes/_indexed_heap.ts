/**
 * A binary min-heap whose items remember their own position, so that an item whose key changed
 * can be re-sifted, or deleted, in O(log n).
 *
 * @module
 */

/** An item that can live in an {@linkcode IndexedHeap}. */
export interface HeapItem {
  /** Position in the heap array; `-1` when the item is not in a heap. */
  slot: number;
}

/** Options of {@linkcode IndexedHeap.findFirst}. */
export interface FindFirstOptions<T> {
  /**
   * Items for which this returns `true` are skipped together with their whole subtree. Only
   * sound when every descendant would be rejected too (e.g. keys grow down the tree).
   */
  prune?: (item: T) => boolean;
  /** Give up (returning `null`) after testing this many items with `accept`. */
  limit?: number;
}

/** A binary min-heap ordered by `less`, with O(log n) update and delete of any item. */
export class IndexedHeap<T extends HeapItem> {
  #items: T[] = [];
  #less: (a: T, b: T) => boolean;
  #open: number[] = [];

  /** @param less Strict ordering: `true` if `a` must come before `b`. */
  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  /** The number of items. */
  get size(): number {
    return this.#items.length;
  }

  /** @returns The smallest item, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /**
   * @param item An item.
   * @returns Whether the item is in this heap.
   */
  has(item: T): boolean {
    return item.slot >= 0 && this.#items[item.slot] === item;
  }

  /** @param item An item not in any heap. O(log n). */
  push(item: T): void {
    item.slot = this.#items.length;
    this.#items.push(item);
    this.#up(item.slot);
  }

  /** @param item An item in this heap; it is removed. O(log n). */
  delete(item: T): void {
    const items = this.#items;
    const at = item.slot;
    const last = items.pop()!;
    item.slot = -1;
    if (last === item) return;
    items[at] = last;
    last.slot = at;
    this.#up(at);
    this.#down(last.slot);
  }

  /** @param item An item in this heap whose key changed in either direction. O(log n). */
  update(item: T): void {
    this.#up(item.slot);
    this.#down(item.slot);
  }

  /**
   * Finds the smallest item that `accept` accepts, visiting items in heap order without changing
   * the heap. Costs O(k log k) for k items tested.
   *
   * @param accept The predicate.
   * @param options Optional subtree pruning and a limit on tested items.
   * @returns The item; `undefined` if none qualifies; `null` if `limit` was reached first.
   */
  findFirst(accept: (item: T) => boolean, options: FindFirstOptions<T> = {}): T | undefined | null {
    const items = this.#items;
    if (items.length === 0) return undefined;
    const { prune, limit = Infinity } = options;
    const open = this.#open;
    open.length = 0;
    open.push(0);
    let tested = 0;
    while (open.length > 0) {
      const at = this.#popOpen();
      const item = items[at]!;
      if (prune !== undefined && prune(item)) continue;
      if (tested++ === limit) return null;
      if (accept(item)) return item;
      const left = 2 * at + 1;
      if (left < items.length) this.#pushOpen(left);
      if (left + 1 < items.length) this.#pushOpen(left + 1);
    }
    return undefined;
  }

  /** @returns The items, in heap-array order (for tests and debugging). */
  toArray(): T[] {
    return this.#items.slice();
  }

  #up(at: number): void {
    const items = this.#items;
    const less = this.#less;
    const item = items[at]!;
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = items[parentAt]!;
      if (!less(item, parent)) break;
      items[at] = parent;
      parent.slot = at;
      at = parentAt;
    }
    items[at] = item;
    item.slot = at;
  }

  #down(at: number): void {
    const items = this.#items;
    const less = this.#less;
    const n = items.length;
    const item = items[at]!;
    while (true) {
      let childAt = 2 * at + 1;
      if (childAt >= n) break;
      let child = items[childAt]!;
      const rightAt = childAt + 1;
      if (rightAt < n) {
        const right = items[rightAt]!;
        if (less(right, child)) {
          childAt = rightAt;
          child = right;
        }
      }
      if (!less(child, item)) break;
      items[at] = child;
      child.slot = at;
      at = childAt;
    }
    items[at] = item;
    item.slot = at;
  }

  /** Adds a heap index to the search frontier (a min-heap of indices by item order). */
  #pushOpen(index: number): void {
    const open = this.#open;
    const items = this.#items;
    const less = this.#less;
    let at = open.length;
    open.push(index);
    while (at > 0) {
      const parentAt = (at - 1) >> 1;
      const parent = open[parentAt]!;
      if (!less(items[index]!, items[parent]!)) break;
      open[at] = parent;
      at = parentAt;
    }
    open[at] = index;
  }

  /** Removes and returns the frontier index whose item is smallest. */
  #popOpen(): number {
    const open = this.#open;
    const items = this.#items;
    const less = this.#less;
    const top = open[0]!;
    const last = open.pop()!;
    const n = open.length;
    if (n === 0) return top;
    let at = 0;
    while (true) {
      let childAt = 2 * at + 1;
      if (childAt >= n) break;
      if (childAt + 1 < n && less(items[open[childAt + 1]!]!, items[open[childAt]!]!)) childAt++;
      const child = open[childAt]!;
      if (!less(items[child]!, items[last]!)) break;
      open[at] = child;
      at = childAt;
    }
    open[at] = last;
    return top;
  }
}
