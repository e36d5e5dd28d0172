/**
 * The msgpack extension types of the ipx value codec (layout documented in `codec.ts`): their
 * numbers, the typed-array tags, and the extension codec that encodes and decodes them. The
 * Error record is in `codec_errors.ts`, the messages' value descriptions in `codec_describe.ts`.
 *
 * @module
 */

import {
  decodeTimestampExtension,
  encodeTimestampExtension,
  EXT_TIMESTAMP,
  ExtensionCodec,
} from "./vendor/msgpack.js";
import { describeValue } from "./codec_describe.ts";
import { decodeError, encodeError } from "./codec_errors.ts";
import { ProtocolError, SerializationError } from "./errors.ts";
import { RemoteRepr } from "./remote_repr.ts";

/** Extension 0: `undefined` (msgpack has only nil). */
export const EXT_UNDEFINED = 0;
/** Extension 1: a bigint as decimal digits. */
export const EXT_BIGINT = 1;
/** Extension 2: a Map as a flat key-value list. */
export const EXT_MAP = 2;
/** Extension 3: a Set as a list of members. */
export const EXT_SET = 3;
/** Extension 4: a typed array, ArrayBuffer or DataView: tag byte, raw bytes. */
export const EXT_TYPED = 4;
/** Extension 5: an Error as `{ name, message, stack, cause?, errors?, props? }`. */
export const EXT_ERROR = 5;
/** Extension 6: a plain array of numbers as little-endian float64s. */
export const EXT_NUMBERS = 6;
/**
 * Extension 7: the same big binary value again (a uint32: which big `bin` of this value, in
 * order), so a payload sent to many engines in one message travels once.
 */
export const EXT_SAME = 7;
/** Extension 8: a {@linkcode RemoteRepr} as `[type, text]`. */
export const EXT_REPR = 8;

/** Plain arrays of at least this many numbers (and nothing else) travel as float64s. */
export const NUMBER_ARRAY_MIN = 32;

/**
 * The numbers of a plain array holding only numbers, long enough to be worth packing (at least
 * {@linkcode NUMBER_ARRAY_MIN}), as float64s; `undefined` for anything else (other values,
 * holes, subclasses, short arrays). One pass that checks and copies: `new Float64Array(array)`
 * took 5–15 ms for a million small integers here, this loop ~1 ms.
 *
 * @param v Any value.
 */
export function toFloat64s(v: unknown): Float64Array | undefined {
  if (!Array.isArray(v) || v.length < NUMBER_ARRAY_MIN) return undefined;
  if (Object.getPrototypeOf(v) !== Array.prototype || typeof v[0] !== "number") return undefined;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== "number") return undefined;
    out[i] = x;
  }
  return out;
}

/**
 * Numbers held as float64s that travel exactly as the plain array of the same numbers does
 * (extension 6) and arrive as a plain array: how `scatter` and `map` send a part of a long
 * list of numbers without first copying it into an array of its own.
 */
export class NumberList {
  /** @param floats The numbers (a view: read when encoded, not copied before). */
  constructor(readonly floats: Float64Array) {}
}

/**
 * A plain array of `n` numbers to fill, holding float64s from the start. `new Array(n)` makes
 * an array of holes (a tagged-pointer store) that the first non-integer then converts to a
 * float64 store: two big allocations and two passes over fresh memory. This one allocates the
 * float64 store once. Measured with ipx's V8 settings (4 MiB semi-spaces), filling 500,000
 * numbers: ~12 ms through `new Array(n)`, ~0.5–1.2 ms through this.
 *
 * @param n The length.
 * @returns An array of length `n` to be filled with numbers (its slots read `undefined` until
 * then).
 */
export function numberArray(n: number): number[] {
  const out = [0.5];
  out.length = n;
  return out;
}

/**
 * Copies little-endian float64s (`bytes.byteLength / 8` of them, any alignment) into `out`
 * from index `at`, without an aligned copy of the bytes first.
 *
 * @param bytes Whole float64s.
 * @param out The array to fill.
 * @param at Where the first number goes.
 */
export function readFloat64s(bytes: Uint8Array, out: number[], at: number): void {
  const n = bytes.byteLength >>> 3;
  if (bytes.byteOffset % 8 === 0) {
    const floats = new Float64Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) out[at + i] = floats[i]!;
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 8);
  for (let i = 0; i < n; i++) out[at + i] = view.getFloat64(i * 8, true);
}

/** A typed-array constructor that extension 4 carries. */
export type TypedCtor =
  | Int8ArrayConstructor
  | Uint8ClampedArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** Typed-array tags of extension 4, by constructor. */
export const TYPED_TAGS: ReadonlyArray<[number, TypedCtor]> = [
  [1, Int8Array],
  [2, Uint8ClampedArray],
  [3, Int16Array],
  [4, Uint16Array],
  [5, Int32Array],
  [6, Uint32Array],
  [7, Float32Array],
  [8, Float64Array],
  [9, BigInt64Array],
  [10, BigUint64Array],
];
/**
 * The typed-array constructor of an extension 4 tag (`Uint8Array` for 0), or undefined for
 * `ArrayBuffer`, `DataView` and unknown tags.
 *
 * @param tag The tag byte.
 */
export function typedArrayOfTag(tag: number): TypedCtor | Uint8ArrayConstructor | undefined {
  if (tag === 0) return Uint8Array;
  return TYPED_TAGS.find(([t]) => t === tag)?.[1];
}

/** Extension 4 tag of an ArrayBuffer. */
export const TAG_ARRAY_BUFFER = 20;
/** Extension 4 tag of a DataView. */
export const TAG_DATA_VIEW = 21;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** How an extension encodes or decodes its nested msgpack payload (supplied by `codec.ts`). */
export interface NestedCodec {
  /**
   * Encodes a value: the extension's payload (`levels` 1), or a part of it that many levels
   * below the extension, so the encoder's depth limit counts across payloads as the decoder's
   * does. Throws what the encoder throws.
   */
  encode(value: unknown, levels?: number): Uint8Array;
  /** Decodes a payload already checked by the scan of the whole value. */
  decode(bytes: Uint8Array): unknown;
}

/**
 * The extension codec of every type ipx sends (see `codec.ts` for the wire layout).
 *
 * @param nested Encoder and decoder of nested payloads (Map, Set, Error).
 */
export function buildCodec(nested: NestedCodec): ExtensionCodec<undefined> {
  const codec = new ExtensionCodec<undefined>();
  /** Errors being encoded, outermost first: one met again inside itself is a cycle. */
  const errorsInProgress = new Set<Error>();
  codec.register({
    type: EXT_BIGINT,
    encode: (v: unknown) => typeof v === "bigint" ? textEncoder.encode(v.toString()) : null,
    decode: (data: Uint8Array) => {
      const text = textDecoder.decode(data);
      if (!/^-?\d+$/.test(text)) throw new ProtocolError("Cannot decode bigint: not an integer");
      return BigInt(text);
    },
  });
  codec.register({
    type: EXT_MAP,
    encode: (v: unknown) => {
      if (!(v instanceof Map)) return null;
      const flat: unknown[] = [];
      for (const [k, val] of v) flat.push(k, val);
      return nested.encode(flat);
    },
    decode: (data: Uint8Array) => {
      const flat = nested.decode(data);
      if (!Array.isArray(flat) || flat.length % 2 !== 0) {
        throw new ProtocolError("Cannot decode Map: its payload is not a list of key-value pairs");
      }
      const map = new Map<unknown, unknown>();
      for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
      return map;
    },
  });
  codec.register({
    type: EXT_SET,
    encode: (v: unknown) => v instanceof Set ? nested.encode([...v]) : null,
    decode: (data: Uint8Array) => {
      const members = nested.decode(data);
      if (!Array.isArray(members)) {
        throw new ProtocolError("Cannot decode Set: its payload is not a list of members");
      }
      return new Set(members);
    },
  });
  codec.register({
    type: EXT_TYPED,
    encode: (v: unknown) => {
      const tag = typedTag(v); // undefined for a plain Uint8Array: msgpack's own bin
      if (tag === undefined) return null;
      const bytes = binaryBytes(v as ArrayBufferView | ArrayBuffer);
      const out = new Uint8Array(bytes.length + 1);
      out[0] = tag;
      out.set(bytes, 1);
      return out;
    },
    decode: (data: Uint8Array) => {
      const tag = data[0];
      const raw = data.slice(1); // aligned copy
      if (tag === 0) return raw;
      if (tag === TAG_ARRAY_BUFFER) return raw.buffer;
      if (tag === TAG_DATA_VIEW) return new DataView(raw.buffer);
      const ctor = typedArrayOfTag(tag ?? -1);
      if (!ctor) throw new ProtocolError(`Cannot decode typed array: unknown tag ${tag}`);
      if (raw.byteLength % ctor.BYTES_PER_ELEMENT !== 0) {
        throw new ProtocolError(`Cannot decode ${ctor.name}: length is not a whole element count`);
      }
      return new ctor(raw.buffer);
    },
  });
  codec.register({
    type: EXT_NUMBERS,
    encode: () => null, // written by the encoder itself (see makeEncoder)
    decode: (data: Uint8Array) => {
      if (data.byteLength % 8 !== 0) {
        throw new ProtocolError("Cannot decode number array: length is not a multiple of 8");
      }
      const out = numberArray(data.byteLength / 8);
      readFloat64s(data, out, 0);
      return out;
    },
  });
  codec.register({
    type: EXT_REPR,
    encode: (v: unknown) => v instanceof RemoteRepr ? nested.encode([v.type, v.text]) : null,
    decode: (data: Uint8Array) => {
      const parts = nested.decode(data);
      if (
        !Array.isArray(parts) || parts.length !== 2 || typeof parts[0] !== "string" ||
        typeof parts[1] !== "string"
      ) {
        throw new ProtocolError("Cannot decode RemoteRepr: its payload is not [type, text]");
      }
      return new RemoteRepr(parts[0], parts[1]);
    },
  });
  codec.register({
    type: EXT_ERROR,
    encode: (v: unknown) => v instanceof Error ? encodeError(v, nested, errorsInProgress) : null,
    decode: (data: Uint8Array) => decodeError(nested.decode(data)),
  });
  codec.register({
    type: EXT_TIMESTAMP,
    encode: (v: unknown) => {
      if (!(v instanceof Date)) return null;
      const time = v.getTime();
      return time === time ? encodeTimestampExtension(v) : INVALID_DATE.slice();
    },
    decode: (data: Uint8Array) => {
      if (data.length === INVALID_DATE.length && data.every((b, i) => b === INVALID_DATE[i])) {
        return new Date(NaN);
      }
      return decodeTimestampExtension(data);
    },
  });
  // Catch-all: refuse what msgpack would silently mangle (class instances, functions, …).
  codec.register({
    type: 127,
    encode: (v: unknown) => {
      if (v === null || v === undefined) return null;
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) {
          throw new SerializationError(`Cannot serialize a value of type ${describeValue(v)}`);
        }
        return null;
      }
      if (v instanceof Uint8Array) return null;
      if (typeof v === "object" && isPlainObject(v)) return null;
      throw new SerializationError(
        `Cannot serialize a value of type ${describeValue(v)}: ipx sends null, undefined, ` +
          `booleans, numbers, bigints, strings, arrays, plain objects, Date, Map, Set, ` +
          `typed arrays and Error`,
      );
    },
    decode: () => {
      throw new ProtocolError("Cannot decode extension type 127: it is never sent");
    },
  });
  codec.register({ type: EXT_UNDEFINED, encode: () => null, decode: () => undefined });
  return codec;
}

/** The typed-array tag of a non-`Uint8Array` binary value (see `TYPED_TAGS`), if it is one. */
export function typedTag(v: unknown): number | undefined {
  if (v instanceof ArrayBuffer) return TAG_ARRAY_BUFFER;
  if (v instanceof DataView) return TAG_DATA_VIEW;
  if (!ArrayBuffer.isView(v)) return undefined;
  if (v instanceof Uint8Array) return v.constructor === Uint8Array ? undefined : 0;
  for (const [t, ctor] of TYPED_TAGS) {
    if (v instanceof ctor) return t;
  }
  return undefined;
}

/**
 * The bytes of a binary value, as a view (no copy).
 *
 * @param v A typed array, DataView or ArrayBuffer.
 */
export function binaryBytes(v: ArrayBufferView | ArrayBuffer): Uint8Array {
  return v instanceof ArrayBuffer
    ? new Uint8Array(v)
    : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Extension types a decoder accepts: ipx's own and msgpack's timestamp. */
export const KNOWN_EXTENSIONS = new Set([
  EXT_UNDEFINED,
  EXT_BIGINT,
  EXT_MAP,
  EXT_SET,
  EXT_TYPED,
  EXT_ERROR,
  EXT_NUMBERS,
  EXT_SAME,
  EXT_REPR,
  -1,
]);

/** Extension types whose payload is one msgpack value: scanned with their container. */
export const NESTED_EXTENSIONS: ReadonlySet<number> = new Set([
  EXT_MAP,
  EXT_SET,
  EXT_ERROR,
  EXT_REPR,
]);

/**
 * An invalid Date (`new Date(NaN)`): a 96-bit msgpack timestamp whose nanoseconds field is
 * `0xffffffff`, out of range for any real time, and seconds 0.
 */
const INVALID_DATE = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
