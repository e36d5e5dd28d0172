/**
 * Big result buffers an engine's code Worker reuses.
 *
 * A big result (a pulled 16 MiB array, a gathered part) is encoded by the Worker into a fresh
 * buffer, moved to the engine's main thread and written to the controller. On the virtual
 * machines ipx is measured on, the first touch of each page of fresh memory costs ~10 µs of
 * kernel time: encoding a 16 MiB result took 75–96 ms of the Worker's time, nearly all of it
 * page faults, against a few ms for the same copy into memory already in use. So once the
 * engine has written a big result it hands the buffer back ({@linkcode SPARE_MIN_BYTES} or
 * more: smaller results are remembered for sending again, see `sent_results.ts`), and the
 * Worker encodes the next big result into it. Every byte of the result is written by the
 * encoder, so nothing of the previous contents shows through the result's view. At most
 * {@linkcode SPARES_KEPT} buffers of at most {@linkcode SPARE_MAX_BYTES} are kept, and none
 * once {@linkcode SPARE_IDLE_MS} pass without a big result.
 *
 * @module
 */

import { smallestFit } from "../protocol/buffer_fit.ts";

/** Results of more than this many bytes are encoded into spare buffers (1 MiB). */
export const SPARE_MIN_BYTES = 1024 * 1024;

/**
 * Buffers over this many bytes are not kept (64 MiB): an engine that once returned a huge value
 * does not hold that much memory for good.
 */
export const SPARE_MAX_BYTES = 64 * 1024 * 1024;

/** Spare buffers kept by default: a result being written and the next one being encoded. */
export const SPARES_KEPT = 2;

/** Spares unused for this long are dropped (the memory goes back when they are collected). */
export const SPARE_IDLE_MS = 5000;

/**
 * `ArrayBuffer`'s own `byteLength`, taken when this module loads (before user code runs): it
 * throws for anything but a real `ArrayBuffer` (a `SharedArrayBuffer` cannot be moved).
 */
const arrayBufferLength = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength")!
  .get! as (this: unknown) => number;

/** The Worker's spare buffers, handed back by the engine after writing the results in them. */
export class SpareBuffers {
  #spares: ArrayBuffer[] = [];
  #max: number;

  /** @param max Most buffers kept (the oldest goes first). */
  constructor(max = SPARES_KEPT) {
    this.#max = max;
  }

  /** Buffers kept now. */
  get size(): number {
    return this.#spares.length;
  }

  /**
   * Keeps a buffer handed back (ignored when too small to be worth it, too big to hold on to,
   * detached, or not an `ArrayBuffer` at all).
   *
   * @param buffer The buffer; its contents are overwritten before it is used again.
   */
  give(buffer: ArrayBuffer): void {
    let size: number;
    try {
      size = arrayBufferLength.call(buffer); // 0 once detached
    } catch {
      return; // not an ArrayBuffer: never from the engine
    }
    if (size <= SPARE_MIN_BYTES || size > SPARE_MAX_BYTES) return;
    this.#spares.push(buffer);
    if (this.#spares.length > this.#max) this.#spares.shift();
  }

  /** Drops every spare. */
  clear(): void {
    this.#spares = [];
  }

  /**
   * Bytes for a result of `size` bytes: a view of the smallest spare that holds it and is at
   * most twice its size (so a small result does not keep a huge buffer busy), else fresh
   * memory. The caller must write all `size` bytes.
   *
   * @param size Bytes needed.
   * @returns A view of exactly `size` bytes.
   */
  take(size: number): Uint8Array {
    if (size > SPARE_MIN_BYTES) {
      const best = smallestFit(this.#spares, size);
      if (best >= 0) return new Uint8Array(this.#spares.splice(best, 1)[0]!, 0, size);
    }
    return new Uint8Array(size);
  }
}
