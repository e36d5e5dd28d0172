/**
 * Byte arrays joined into one.
 *
 * @module
 */

/**
 * Joins byte arrays into one new array.
 *
 * @param parts The arrays, in order.
 * @returns Their bytes, one after another.
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
