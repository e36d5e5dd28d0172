/**
 * A seeded random generator for reproducible scheduler tests and benchmarks.
 *
 * @module
 */

/**
 * A small, fast, seedable generator (mulberry32) for reproducible tests and benchmarks.
 *
 * @param seed Any 32-bit integer.
 * @returns A function returning uniform numbers in `[0, 1)`.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
