/**
 * A few big `ArrayBuffer`s kept for reuse. On these machines copying 16 MiB into a buffer that
 * was just allocated costs 4–5 ms (the fresh pages are faulted in and zeroed), into one that was
 * used before 1.1–1.6 ms: the result writer (`result_writer.ts`) copies every big result for its
 * thread, and the thread hands each buffer back when the file is written.
 *
 * @module
 */

import { smallestFit } from "../protocol/buffer_fit.ts";

/** Buffers are allocated in multiples of this, so values of similar size share them. */
export const POOL_GRAIN = 1024 * 1024;

/** Reusable buffers, at most `capacity` bytes of them kept. */
export class BufferPool {
  #free: ArrayBuffer[] = [];
  #kept = 0;
  #capacity: number;

  /** @param capacity Most bytes kept while no one uses them. */
  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Bytes kept for reuse now. */
  get kept(): number {
    return this.#kept;
  }

  /**
   * A buffer of at least `size` bytes: the smallest kept one that fits and is at most twice
   * `size` (a much bigger one stays for a value of its size), else a new one. Sizes under half
   * a grain get a new buffer of exactly their size (not worth keeping).
   *
   * @param size Bytes needed.
   * @returns A buffer owned by the caller until it is given back.
   */
  take(size: number): ArrayBuffer {
    if (2 * size < POOL_GRAIN) return new ArrayBuffer(size);
    const best = smallestFit(this.#free, size);
    if (best < 0) return new ArrayBuffer(Math.ceil(size / POOL_GRAIN) * POOL_GRAIN);
    const [buffer] = this.#free.splice(best, 1);
    this.#kept -= buffer!.byteLength;
    return buffer!;
  }

  /**
   * Keeps `buffer` for reuse if it is at least a grain and fits under the capacity (else drops
   * it; a detached buffer has no bytes).
   *
   * @param buffer A buffer the caller no longer uses.
   */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength < POOL_GRAIN || this.#kept + buffer.byteLength > this.#capacity) return;
    this.#free.push(buffer);
    this.#kept += buffer.byteLength;
  }

  /** Drops every kept buffer (the memory goes back when they are collected). */
  clear(): void {
    this.#free = [];
    this.#kept = 0;
  }
}
