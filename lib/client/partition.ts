/**
 * Splitting arrays across engines and joining them back (scatter/gather/map).
 *
 * @module
 */

import { arrayInList, type ListedArray, NumberList } from "../protocol/codec.ts";
import { typeName } from "../protocol/codec_describe.ts";
import {
  numberArray,
  readFloat64s,
  toFloat64s,
  typedArrayOfTag,
} from "../protocol/codec_extensions.ts";

/** Arrays ipx can partition: plain arrays and typed arrays. */
export type Partitionable =
  | readonly unknown[]
  | ArrayBufferView & { length: number; subarray(a: number, b: number): unknown };

/**
 * Throws a `TypeError` unless `value` is a plain array or a typed array (what
 * {@linkcode partition} can split), saying what it got: a string, a number, a `DataView`, an
 * object… would otherwise fail deep inside the split, or split into nonsense.
 *
 * @param value The value to split.
 * @param caller Who splits it, for the message (e.g. `scatter()`).
 */
export function assertPartitionable(
  value: unknown,
  caller: string,
): asserts value is Partitionable {
  if (Array.isArray(value)) return;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return;
  throw new TypeError(
    `${caller} takes an array or a typed array to split across the engines, but got ` +
      `${describeGot(value)}; pass an array of the items (e.g. Array.from(value)), or use ` +
      `push() to send the same value to every engine`,
  );
}

/**
 * A short description of a value that is not what a call expected, for messages: `a string
 * ("abc")`, `a Set`, `null`…
 *
 * @param value The value.
 */
export function describeGot(value: unknown): string {
  switch (typeof value) {
    case "string":
      return `a string (${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)})`;
    case "number":
    case "boolean":
      return `a ${typeof value} (${value})`;
    case "bigint":
      return `a bigint (${value}n)`;
    case "undefined":
      return "undefined";
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
  }
  if (value === null) return "null";
  const name = typeName(value);
  return `${/^[AEIOU]/i.test(name) ? "an" : "a"} ${name}`;
}

/**
 * Contiguous partition sizes: `n` parts of `len` items, the first `len % n` one larger.
 *
 * @param len Item count.
 * @param n Part count.
 */
export function partitionSizes(len: number, n: number): number[] {
  const base = Math.floor(len / n);
  const extra = len % n;
  return Array.from({ length: n }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Splits an array (or typed array, without copying) into `n` contiguous parts. Throws a
 * `TypeError` for anything else (see {@linkcode assertPartitionable}).
 *
 * @param array The data.
 * @param n Number of parts.
 */
export function partition(array: Partitionable, n: number): unknown[] {
  assertPartitionable(array, "scatter()/map()");
  const sizes = partitionSizes(array.length, n);
  const parts: unknown[] = [];
  let start = 0;
  for (const size of sizes) {
    parts.push(
      Array.isArray(array)
        ? array.slice(start, start + size)
        : (array as { subarray(a: number, b: number): unknown }).subarray(start, start + size),
    );
    start += size;
  }
  return parts;
}

/**
 * Splits like {@linkcode partition}, for sending: a plain array of numbers only (at least
 * `NUMBER_ARRAY_MIN` of them) becomes float64s once and is split without copying, each part a
 * {@linkcode NumberList} that travels as the plain array it stands for (and arrives as one).
 *
 * @param array The data.
 * @param n Number of parts.
 */
export function partitionForSending(array: Partitionable, n: number): unknown[] {
  const floats = toFloat64s(array);
  if (floats !== undefined) {
    return partition(floats, n).map((p) => new NumberList(p as Float64Array));
  }
  return partition(array, n);
}

type TypedArray = Exclude<ArrayBufferView, DataView> & {
  length: number;
  set(a: ArrayLike<unknown>, o: number): void;
};

/**
 * Joins parts back into one array: typed arrays of one kind into one typed array, arrays into
 * one array; anything else is returned as the list of parts.
 *
 * @param parts One part per engine, in engine order.
 */
export function concatParts(parts: unknown[]): unknown {
  if (parts.length > 0 && parts.every((p) => Array.isArray(p))) {
    // concat, not flat(1): 1–4 ms instead of 5–15 ms for a million numbers
    return ([] as unknown[]).concat(...(parts as unknown[][]));
  }
  const first = parts[0];
  if (
    first !== undefined && ArrayBuffer.isView(first) && !(first instanceof DataView) &&
    parts.every((p) => p !== null && (p as object).constructor === (first as object).constructor)
  ) {
    const ctor = (first as object).constructor as new (n: number) => TypedArray;
    const total = parts.reduce((n: number, p) => n + (p as TypedArray).length, 0);
    const out = new ctor(total);
    let off = 0;
    for (const p of parts as TypedArray[]) {
      out.set(p as unknown as ArrayLike<unknown>, off);
      off += p.length;
    }
    return out;
  }
  return parts;
}

/**
 * {@linkcode concatParts} of the parts as `pull` of one name returns them encoded, without
 * decoding each part first: when every part is a long array of numbers, or every part a big
 * typed array of one kind, the joined array is built straight from the bytes (one pass, no
 * array per part). Otherwise `undefined`: decode the parts and use {@linkcode concatParts}.
 *
 * @param encoded Each engine's encoded `[value]`, in engine order.
 */
export function concatEncodedParts(encoded: readonly Uint8Array[]): unknown {
  const parts: ListedArray[] = [];
  for (const bytes of encoded) {
    const part = arrayInList(bytes);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  const first = parts[0];
  if (first === undefined) return undefined;
  if (first.kind === "numbers") {
    let total = 0;
    for (const p of parts) {
      if (p.kind !== "numbers") return undefined;
      total += p.floats.byteLength / 8;
    }
    const out = numberArray(total);
    let at = 0;
    for (const p of parts as Extract<ListedArray, { kind: "numbers" }>[]) {
      readFloat64s(p.floats, out, at);
      at += p.floats.byteLength / 8;
    }
    return out;
  }
  const ctor = typedArrayOfTag(first.tag);
  if (ctor === undefined) return undefined;
  let bytes = 0;
  for (const p of parts) {
    if (p.kind !== "typed" || p.tag !== first.tag) return undefined;
    if (p.data.byteLength % ctor.BYTES_PER_ELEMENT !== 0) return undefined;
    bytes += p.data.byteLength;
  }
  const out = new ctor(bytes / ctor.BYTES_PER_ELEMENT);
  const view = new Uint8Array(out.buffer);
  let at = 0;
  for (const p of parts as Extract<ListedArray, { kind: "typed" }>[]) {
    view.set(p.data, at);
    at += p.data.byteLength;
  }
  return out;
}

/**
 * Source of a function that applies `fnSource` to each item of a chunk (the task `map` sends
 * for each chunk, on direct and load-balanced views alike).
 *
 * @param fnSource The per-item function's source.
 * @returns The wrapper's source.
 */
export function chunkWrapper(fnSource: string): string {
  return `(async (chunk) => { const f = ${fnSource}; const out = []; ` +
    `for (const x of chunk) out.push(await f(x)); return out; })`;
}
