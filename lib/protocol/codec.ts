/**
 * The value codec: msgpack with extension types for every value ipx promises to carry.
 *
 * Wire layout of the extensions (type id → payload):
 * - `0` undefined → empty
 * - `1` bigint → decimal digits (ASCII, optional leading `-`)
 * - `2` Map → a msgpack array `[k0, v0, k1, v1, …]`
 * - `3` Set → a msgpack array of the members
 * - `4` typed array / ArrayBuffer / DataView → one tag byte (see `TYPED_TAGS`) then the raw
 *   bytes in little-endian order (the byte order of every platform Deno runs on)
 * - `5` Error → a msgpack map `{ name, message, stack, cause? }`
 * - `6` an array of numbers only (at least {@linkcode NUMBER_ARRAY_MIN} of them) → the numbers
 *   as little-endian float64s; decodes to a plain array again. Ten times cheaper to encode and
 *   decode than one msgpack number each, which is what `scatter` of a big list needs.
 * - `-1` Date → msgpack's standard timestamp
 *
 * `Uint8Array` is msgpack `bin` and decodes as a view into the received frame (no copy).
 * Anything else (functions, symbols, class instances, WeakMaps, promises…) is refused with a
 * {@linkcode SerializationError} naming its type.
 *
 * Decoding untrusted bytes: limits are checked before values are built (see
 * {@linkcode decodeValue}); extension types other than the ones above are refused (never passed
 * through as raw `ExtData`); a `__proto__` map key is refused, and `constructor`/`prototype` keys
 * decode as ordinary own properties of a plain object, so no decoded value can reach a
 * prototype. Strings are decoded leniently: invalid UTF-8 never fails, it yields substitute
 * characters, so peers must send valid UTF-8 (every ipx peer does).
 *
 * @module
 */

import { Decoder, Encoder, ExtensionCodec, type ExtensionCodecType } from "@msgpack/msgpack";
import { ProtocolError, SerializationError } from "./errors.ts";
import { scanMsgpack } from "./msgpack_scan.ts";

const EXT_UNDEFINED = 0;
const EXT_BIGINT = 1;
const EXT_MAP = 2;
const EXT_SET = 3;
const EXT_TYPED = 4;
const EXT_ERROR = 5;
const EXT_NUMBERS = 6;

/** Plain arrays of at least this many numbers (and nothing else) travel as float64s. */
export const NUMBER_ARRAY_MIN = 32;

/** True for a plain array holding only numbers, long enough to be worth packing. */
function isNumberArray(v: unknown): v is number[] {
  if (!Array.isArray(v) || v.length < NUMBER_ARRAY_MIN) return false;
  if (Object.getPrototypeOf(v) !== Array.prototype) return false;
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== "number") return false;
  }
  return true;
}

type TypedCtor =
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

const TYPED_TAGS: ReadonlyArray<[number, TypedCtor]> = [
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
const TAG_ARRAY_BUFFER = 20;
const TAG_DATA_VIEW = 21;

/** Limits applied when decoding untrusted bytes. */
export interface DecodeLimits {
  /** Maximum nesting depth of arrays/maps. @default 256 */
  maxDepth?: number;
  /** Maximum UTF-8 length of one string. @default 64 MiB */
  maxStrLength?: number;
  /** Maximum length of one binary value. @default 1 GiB */
  maxBinLength?: number;
  /** Most arrays, maps, binary and extension values in all (see `msgpack_scan.ts`). @default unlimited */
  maxObjects?: number;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

function describe(value: unknown): string {
  if (typeof value === "function") {
    return `function ${value.name || "(anonymous)"}`;
  }
  if (typeof value === "symbol") return `symbol ${String(value.description ?? "")}`.trim();
  if (value !== null && typeof value === "object") {
    const ctor = (value as { constructor?: { name?: string } }).constructor;
    return `${ctor?.name ?? "object"} instance`;
  }
  return typeof value;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function buildCodec(): ExtensionCodec<undefined> {
  const codec = new ExtensionCodec<undefined>();
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
      return encodeValue(flat);
    },
    decode: (data: Uint8Array) => {
      const flat = decodeNested(data);
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
    encode: (v: unknown) => v instanceof Set ? encodeValue([...v]) : null,
    decode: (data: Uint8Array) => {
      const members = decodeNested(data);
      if (!Array.isArray(members)) {
        throw new ProtocolError("Cannot decode Set: its payload is not a list of members");
      }
      return new Set(members);
    },
  });
  codec.register({
    type: EXT_TYPED,
    encode: (v: unknown) => {
      if (v instanceof Uint8Array && v.constructor === Uint8Array) return null; // native bin
      let tag: number | undefined;
      let bytes: Uint8Array | undefined;
      if (v instanceof ArrayBuffer) {
        tag = TAG_ARRAY_BUFFER;
        bytes = new Uint8Array(v);
      } else if (v instanceof DataView) {
        tag = TAG_DATA_VIEW;
        bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      } else if (ArrayBuffer.isView(v)) {
        for (const [t, ctor] of TYPED_TAGS) {
          if (v instanceof ctor) tag = t;
        }
        if (v instanceof Uint8Array) tag = 0; // Uint8Array subclass (e.g. Buffer)
        bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      }
      if (tag === undefined || bytes === undefined) return null;
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
      const entry = TYPED_TAGS.find(([t]) => t === tag);
      if (!entry) throw new ProtocolError(`Cannot decode typed array: unknown tag ${tag}`);
      const ctor = entry[1];
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
      const floats = data.byteOffset % 8 === 0
        ? new Float64Array(data.buffer, data.byteOffset, data.byteLength / 8)
        : new Float64Array(data.slice().buffer);
      const out = new Array<number>(floats.length);
      for (let i = 0; i < floats.length; i++) out[i] = floats[i]!;
      return out;
    },
  });
  codec.register({
    type: EXT_ERROR,
    encode: (v: unknown) => {
      if (!(v instanceof Error)) return null;
      const record: Record<string, unknown> = {
        name: v.name,
        message: v.message,
        stack: v.stack ?? "",
      };
      if (v.cause !== undefined) {
        try {
          encodeValue(v.cause);
          record.cause = v.cause;
        } catch {
          record.cause = String(v.cause);
        }
      }
      return encodeValue(record);
    },
    decode: (data: Uint8Array) => {
      const r = decodeNested(data) as Record<string, unknown>;
      if (r === null || typeof r !== "object" || Array.isArray(r) || r instanceof Map) {
        throw new ProtocolError("Cannot decode Error: its payload is not a record");
      }
      const options = "cause" in r ? { cause: r.cause } : undefined;
      const err = new Error(String(r.message ?? ""), options);
      err.name = String(r.name ?? "Error");
      err.stack = String(r.stack ?? "");
      return err;
    },
  });
  // Catch-all: refuse what msgpack would silently mangle (class instances, functions, …).
  codec.register({
    type: 127,
    encode: (v: unknown) => {
      if (v === null || v === undefined) return null;
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) {
          throw new SerializationError(`Cannot serialize a value of type ${describe(v)}`);
        }
        return null;
      }
      if (v instanceof Uint8Array) return null;
      if (typeof v === "object" && isPlainObject(v)) return null;
      throw new SerializationError(
        `Cannot serialize a value of type ${describe(v)}: ipx sends null, undefined, booleans, ` +
          `numbers, bigints, strings, arrays, plain objects, Date, Map, Set, typed arrays and Error`,
      );
    },
    decode: () => {
      throw new ProtocolError("Cannot decode extension type 127: it is never sent");
    },
  });
  return codec;
}

const extensionCodec = buildCodec();

/** Binary values at least this large are not copied into the encoder's buffer. */
export const BIG_BINARY_BYTES = 64 * 1024;

/** A big binary value left out of the encoder's buffer: its bytes belong at offset `at`. */
interface Hole {
  at: number;
  data: Uint8Array;
}

/** The msgpack encoder's internals that ipx hooks into. */
interface EncoderInternals {
  pos: number;
  bytes: Uint8Array;
  entered: boolean;
  reinitializeState(): void;
  doEncode(object: unknown, depth: number): void;
  encodeExtension(ext: { type: number; data: Uint8Array }): void;
  writeU8(value: number): void;
  writeU32(value: number): void;
  writeI8(value: number): void;
  writeU8a(values: Uint8Array): void;
  clone(): Encoder<undefined>;
}

/** The typed-array tag of a non-`Uint8Array` binary value (see `TYPED_TAGS`), if it is one. */
function typedTag(v: unknown): number | undefined {
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
 * An encoder that keeps `undefined` distinct from `null` and leaves big binary values (typed
 * arrays, `ArrayBuffer`s of {@linkcode BIG_BINARY_BYTES} or more) out of its buffer as holes,
 * so they can be written straight from where they are (see {@linkcode encodeValueChunks}).
 */
function makeEncoder(): Encoder<undefined> {
  const encoder = new Encoder({ extensionCodec, maxDepth: 256, initialBufferSize: 2048 });
  const raw = encoder as unknown as EncoderInternals & { holes: Hole[] };
  raw.holes = [];
  const original = raw.doEncode.bind(encoder);
  const originalWrite = raw.writeU8a.bind(encoder);
  const empty = new Uint8Array(0);
  raw.doEncode = (object: unknown, depth: number) => {
    // msgpack maps undefined to nil before consulting extensions; keep undefined distinct.
    if (object === undefined) return raw.encodeExtension({ type: EXT_UNDEFINED, data: empty });
    if (isNumberArray(object)) {
      const floats = new Float64Array(object);
      const bytes = new Uint8Array(floats.buffer);
      if (bytes.length >= 0x100000000) throw new Error(`Too large array: ${object.length}`);
      raw.writeU8(0xc9);
      raw.writeU32(bytes.length);
      raw.writeI8(EXT_NUMBERS);
      return raw.writeU8a(bytes);
    }
    if (
      object !== null && typeof object === "object" &&
      (object as ArrayBufferLike).byteLength >= BIG_BINARY_BYTES
    ) {
      const tag = typedTag(object);
      if (tag !== undefined) {
        // ext 32 of EXT_TYPED: the tag byte, then the raw bytes as a hole (no copy)
        const v = object as ArrayBufferView | ArrayBuffer;
        const bytes = v instanceof ArrayBuffer
          ? new Uint8Array(v)
          : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
        if (bytes.length + 1 >= 0x100000000) throw new Error(`Too large binary: ${bytes.length}`);
        raw.writeU8(0xc9);
        raw.writeU32(bytes.length + 1);
        raw.writeI8(EXT_TYPED);
        raw.writeU8(tag);
        return raw.writeU8a(bytes);
      }
    }
    original(object, depth);
  };
  raw.writeU8a = (values: Uint8Array) => {
    if (values.byteLength >= BIG_BINARY_BYTES) raw.holes.push({ at: raw.pos, data: values });
    else originalWrite(values);
  };
  // nested encodes (an extension encoding its payload) get an encoder like this one
  raw.clone = () => makeEncoder();
  return encoder;
}

/**
 * Runs one encode on `encoder` (or a fresh one when it is busy, e.g. nested in an extension)
 * and hands its buffer and holes to `take` before the buffer can be reused.
 */
function withEncoded<T>(
  value: unknown,
  take: (bytes: Uint8Array, end: number, holes: Hole[]) => T,
): T {
  const raw = (encoder as unknown as EncoderInternals).entered
    ? makeEncoder() as unknown as EncoderInternals & { holes: Hole[] }
    : encoder as unknown as EncoderInternals & { holes: Hole[] };
  raw.entered = true;
  try {
    raw.reinitializeState();
    raw.holes = [];
    raw.doEncode(value, 1);
    return take(raw.bytes, raw.pos, raw.holes);
  } finally {
    raw.holes = [];
    raw.entered = false;
  }
}

const encoder = makeEncoder();
extensionCodec.register({
  type: EXT_UNDEFINED,
  encode: () => null,
  decode: () => undefined,
});

/** Extension types a decoder accepts: ipx's own and msgpack's timestamp. */
const KNOWN_EXTENSIONS = new Set([
  EXT_UNDEFINED,
  EXT_BIGINT,
  EXT_MAP,
  EXT_SET,
  EXT_TYPED,
  EXT_ERROR,
  EXT_NUMBERS,
  -1,
]);

/** The extension codec for decoding: refuses unknown types instead of passing them through. */
const decodingExtensions: ExtensionCodecType<undefined> = {
  tryToEncode: (object, context) => extensionCodec.tryToEncode(object, context),
  decode(data, type, context) {
    if (!KNOWN_EXTENSIONS.has(type)) {
      throw new ProtocolError(
        `Cannot decode extension type ${type}: ipx never sends it (the peer is not ipx, or ` +
          `runs a newer version)`,
      );
    }
    return extensionCodec.decode(data, type, context);
  },
};

const decoder = new Decoder({
  extensionCodec: decodingExtensions,
  maxStrLength: 64 * 1024 * 1024,
  maxBinLength: 1024 * 1024 * 1024,
  maxExtLength: 1024 * 1024 * 1024,
});

/**
 * Encodes a value. Throws {@linkcode SerializationError} naming the type of any part that
 * cannot travel.
 *
 * @param value The value to encode.
 * @returns A fresh byte array.
 */
export function encodeValue(value: unknown): Uint8Array {
  try {
    return withEncoded(value, (bytes, end, holes) => {
      if (holes.length === 0) return bytes.slice(0, end);
      let total = end;
      for (const h of holes) total += h.data.length;
      const out = new Uint8Array(total);
      let from = 0;
      let to = 0;
      for (const h of holes) {
        out.set(bytes.subarray(from, h.at), to);
        to += h.at - from;
        out.set(h.data, to);
        to += h.data.length;
        from = h.at;
      }
      out.set(bytes.subarray(from, end), to);
      return out;
    });
  } catch (error) {
    throw asSerializationError(error);
  }
}

/**
 * Encodes a value as a list of byte arrays whose concatenation is what
 * {@linkcode encodeValue} returns, without copying big binary values: each of at least
 * {@linkcode BIG_BINARY_BYTES} is its own element, a view of the caller's bytes. The caller
 * must not change those bytes until they have been written.
 *
 * @param value The value to encode.
 * @returns The parts, in order (at least one).
 */
export function encodeValueChunks(value: unknown): Uint8Array[] {
  try {
    return withEncoded(value, (bytes, end, holes) => {
      const parts: Uint8Array[] = [];
      let from = 0;
      for (const h of holes) {
        if (h.at > from) parts.push(bytes.slice(from, h.at));
        parts.push(h.data);
        from = h.at;
      }
      if (end > from || parts.length === 0) parts.push(bytes.slice(from, end));
      return parts;
    });
  } catch (error) {
    throw asSerializationError(error);
  }
}

function asSerializationError(error: unknown): SerializationError {
  if (error instanceof SerializationError) return error;
  return new SerializationError(
    `Cannot serialize value: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}

/** Extension types whose payload is one msgpack value: scanned with their container. */
const NESTED_EXTENSIONS: ReadonlySet<number> = new Set([EXT_MAP, EXT_SET, EXT_ERROR]);

/** Decodes an extension's msgpack payload, already checked by the scan of the whole value. */
function decodeNested(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}

/**
 * Decodes bytes made by {@linkcode encodeValue}, enforcing limits (depth, element counts,
 * string and binary lengths) before building anything. `__proto__` keys are refused, so a
 * decoded object can never change a prototype.
 *
 * @param bytes The encoded value.
 * @param limits Optional tighter limits.
 * @returns The decoded value.
 */
export function decodeValue(bytes: Uint8Array, limits: DecodeLimits = {}): unknown {
  scanMsgpack(bytes, {
    maxDepth: limits.maxDepth ?? 256,
    nestedExtTypes: NESTED_EXTENSIONS,
    ...(limits.maxObjects !== undefined ? { maxObjects: limits.maxObjects } : {}),
  });
  try {
    if (limits.maxStrLength !== undefined || limits.maxBinLength !== undefined) {
      return new Decoder({
        extensionCodec: decodingExtensions,
        maxStrLength: limits.maxStrLength ?? 64 * 1024 * 1024,
        maxBinLength: limits.maxBinLength ?? 1024 * 1024 * 1024,
      }).decode(bytes);
    }
    return decoder.decode(bytes);
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(
      `Cannot decode message: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
