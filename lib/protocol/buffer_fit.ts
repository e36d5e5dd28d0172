/**
 * Which kept buffer a pool of reusable buffers hands out: shared by the controller's result
 * writer pool (`lib/controller/buffer_pool.ts`) and an engine Worker's spare result buffers
 * (`lib/engine/spare_buffers.ts`).
 *
 * @module
 */

/**
 * The smallest buffer that holds `size` bytes and is at most twice `size` (so a small value
 * does not keep a much bigger buffer busy that a value of its own size could use).
 *
 * @param buffers The kept buffers.
 * @param size Bytes needed.
 * @returns Its index in `buffers`, or -1 when none fits.
 */
export function smallestFit(buffers: readonly ArrayBuffer[], size: number): number {
  let best = -1;
  for (let i = 0; i < buffers.length; i++) {
    const length = buffers[i]!.byteLength;
    if (length < size || length > 2 * size) continue;
    if (best < 0 || length < buffers[best]!.byteLength) best = i;
  }
  return best;
}
