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
 * - `5` Error → a msgpack map `{ name, message, stack, cause?, errors?, props? }`: `errors` the
 *   members of an AggregateError, `props` the own enumerable properties (e.g. `code`) that can
 *   travel. It decodes as the built-in class of that name (`TypeError`, `AggregateError`, …),
 *   any other name as an `Error` with that `name`.
 * - `7` the same `Uint8Array` (of {@linkcode BIG_BINARY_BYTES} or more) again → which earlier big
 *   `bin` of the value it is, as a uint32; decodes to the same view. A value (or a message)
 *   holding one big array several times, e.g. a push to many engines, carries it once.
 * - `6` an array of numbers only (at least {@linkcode NUMBER_ARRAY_MIN} of them) → the numbers
 *   as little-endian float64s; decodes to a plain array again. Ten times cheaper to encode and
 *   decode than one msgpack number each, which is what `scatter` of a big list needs. A
 *   `NumberList` (float64s already) encodes the same way, from its own bytes.
 * - `-1` Date → msgpack's standard timestamp; an invalid Date (`new Date(NaN)`) → the 96-bit form
 *   with nanoseconds `0xffffffff` (out of range for any real time) and seconds 0
 *
 * `-0` is a msgpack float 64 (msgpack's integer forms would make it `0`).
 *
 * `Uint8Array` is msgpack `bin` and decodes as a view into the received frame (no copy).
 * Anything else (functions, symbols, class instances, WeakMaps, promises…) is refused with a
 * {@linkcode SerializationError} naming its type; so is a circular value (saying where it loops)
 * and one nested deeper than 256 levels, counted as the decoder counts them (the payload of a
 * Map, Set or Error is one level more).
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

import { Decoder, Encoder, type ExtensionCodecType } from "./vendor/msgpack.js";
import { explainTooDeep, typeName } from "./codec_describe.ts";
import {
  binaryBytes,
  buildCodec,
  EXT_NUMBERS,
  EXT_SAME,
  EXT_TYPED,
  EXT_UNDEFINED,
  KNOWN_EXTENSIONS,
  NESTED_EXTENSIONS,
  NumberList,
  toFloat64s,
  typedTag,
} from "./codec_extensions.ts";
import { ProtocolError, SerializationError } from "./errors.ts";
import { scanMsgpack } from "./msgpack_scan.ts";

export { NUMBER_ARRAY_MIN, NumberList } from "./codec_extensions.ts";

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

const extensionCodec = buildCodec({ encode: encodeNested, decode: decodeNested });

/** The encoders' depth limit (the decoder's default `maxDepth` too). */
const MAX_DEPTH = 256;

/**
 * The nesting depth of the object being encoded last, so an extension's payload (encoded by a
 * nested encoder) starts below it, and the depth limit counts across payloads.
 */
let nestingDepth = 1;

/** Binary values at least this large are not copied into the encoder's buffer. */
export const BIG_BINARY_BYTES = 64 * 1024;

/** Big `Uint8Array`s already in the value being encoded, by identity: their order. */
type Seen = Map<Uint8Array, number>;

/** A big binary value left out of the encoder's buffer: its bytes belong at offset `at`. */
interface Hole {
  at: number;
  data: Uint8Array;
}

/** The msgpack encoder's internals that ipx hooks into. */
interface EncoderInternals {
  encodeBinary(object: Uint8Array): void;
  pos: number;
  bytes: Uint8Array;
  entered: boolean;
  reinitializeState(): void;
  doEncode(object: unknown, depth: number): void;
  encodeExtension(ext: { type: number; data: Uint8Array }): void;
  writeU8(value: number): void;
  writeU32(value: number): void;
  writeI8(value: number): void;
  writeF64(value: number): void;
  writeU8a(values: Uint8Array): void;
  clone(): Encoder<undefined>;
}

/**
 * An encoder that keeps `undefined` distinct from `null` and leaves big binary values (typed
 * arrays, `ArrayBuffer`s of {@linkcode BIG_BINARY_BYTES} or more) out of its buffer as holes,
 * so they can be written straight from where they are (see {@linkcode encodeValueChunks}).
 */
function makeEncoder(dedupe = false): Encoder<undefined> {
  const encoder = new Encoder({ extensionCodec, maxDepth: MAX_DEPTH, initialBufferSize: 2048 });
  const raw = encoder as unknown as EncoderInternals & { holes: Hole[]; seen: Seen };
  raw.holes = [];
  raw.seen = new Map();
  if (dedupe) {
    // top-level encodes only: nested payloads (Map, Set, Error) are decoded on their own
    const originalBinary = raw.encodeBinary.bind(encoder);
    raw.encodeBinary = (object: Uint8Array) => {
      if (object.byteLength >= BIG_BINARY_BYTES) {
        const index = raw.seen.get(object);
        if (index !== undefined) {
          raw.writeU8(0xd6); // fixext 4
          raw.writeI8(EXT_SAME);
          return raw.writeU32(index);
        }
        raw.seen.set(object, raw.seen.size);
      }
      originalBinary(object);
    };
  }
  const original = raw.doEncode.bind(encoder);
  const originalWrite = raw.writeU8a.bind(encoder);
  const empty = new Uint8Array(0);
  /** Writes the header of an `ext 32` whose payload (`size` bytes) the caller writes next. */
  const ext32Header = (size: number, type: number) => {
    if (size >= 0x100000000) throw new Error(`Too large extension object: ${size}`);
    raw.writeU8(0xc9);
    raw.writeU32(size);
    raw.writeI8(type);
  };
  raw.doEncode = (object: unknown, depth: number) => {
    // msgpack maps undefined to nil before consulting extensions; keep undefined distinct.
    if (object === undefined) return raw.encodeExtension({ type: EXT_UNDEFINED, data: empty });
    if (object === 0 && 1 / object < 0) {
      // -0: msgpack's integer forms would make it 0
      raw.writeU8(0xcb); // float 64
      return raw.writeF64(-0);
    }
    const floats = object instanceof NumberList ? object.floats : toFloat64s(object);
    if (floats !== undefined) {
      const bytes = new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
      ext32Header(bytes.length, EXT_NUMBERS);
      return raw.writeU8a(bytes);
    }
    if (object !== null && typeof object === "object") {
      nestingDepth = depth;
      if ((object as ArrayBufferLike).byteLength >= BIG_BINARY_BYTES) {
        const tag = typedTag(object);
        if (tag !== undefined) {
          // ext 32 of EXT_TYPED: the tag byte, then the raw bytes as a hole (no copy)
          const bytes = binaryBytes(object as ArrayBufferView | ArrayBuffer);
          ext32Header(bytes.length + 1, EXT_TYPED);
          raw.writeU8(tag);
          return raw.writeU8a(bytes);
        }
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
 * Runs one encode on `encoder` (or a fresh one when it is busy, i.e. nested in an extension,
 * starting `levels` below the extension's object) and hands its buffer and holes to `take`
 * before the buffer can be reused.
 */
function withEncoded<T>(
  value: unknown,
  take: (bytes: Uint8Array, end: number, holes: Hole[]) => T,
  levels = 1,
): T {
  type Raw = EncoderInternals & { holes: Hole[]; seen: Seen };
  const nested = (encoder as unknown as EncoderInternals).entered;
  const raw = nested ? makeEncoder() as unknown as Raw : encoder as unknown as Raw;
  const outerDepth = nestingDepth;
  raw.entered = true;
  try {
    raw.reinitializeState();
    raw.holes = [];
    raw.doEncode(value, nested ? outerDepth + levels : 1);
    return take(raw.bytes, raw.pos, raw.holes);
  } finally {
    raw.holes = [];
    raw.seen.clear(); // holds the caller's arrays: never keep them past the encode
    raw.entered = false;
    nestingDepth = outerDepth; // the extension encoding this payload may encode more parts
  }
}

/** Where an encode's bytes go: `size` bytes, all of which the encoder then writes. */
export type Allocate = (size: number) => Uint8Array;

const fresh: Allocate = (size) => new Uint8Array(size);

/** The encoder's buffer with its holes filled in: one byte array, from `alloc`. */
function joined(
  bytes: Uint8Array,
  end: number,
  holes: Hole[],
  alloc: Allocate = fresh,
): Uint8Array {
  if (holes.length === 0) {
    if (alloc === fresh) return bytes.slice(0, end);
    const out = alloc(end);
    out.set(bytes.subarray(0, end));
    return out;
  }
  let total = end;
  for (const h of holes) total += h.data.length;
  const out = alloc(total);
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
}

/**
 * Encodes an extension's payload (or a part of it, `levels` below the extension's object),
 * throwing what the encoder throws: the top-level encode explains it for the whole value.
 */
function encodeNested(value: unknown, levels = 1): Uint8Array {
  return withEncoded(value, (bytes, end, holes) => joined(bytes, end, holes), levels);
}

const encoder = makeEncoder(true);

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

/** Big binary values decoded so far by the top-level decode in progress (for `EXT_SAME`). */
let seenBins: Uint8Array[] | null = null;
/** How many extensions are being decoded (their payloads and contents are not top-level). */
let extensionDepth = 0;

extensionCodec.register({
  type: EXT_SAME,
  encode: () => null, // written by the encoder itself (see makeEncoder)
  decode: (data: Uint8Array) => {
    const index = data.length === 4
      ? new DataView(data.buffer, data.byteOffset, 4).getUint32(0)
      : -1;
    const value = seenBins?.[index];
    if (value === undefined) {
      throw new ProtocolError(
        "Cannot decode a repeated binary value: it refers to none decoded before it",
      );
    }
    return value;
  },
});

/** A decoder that records the big binary values it decodes, in order (see `EXT_SAME`). */
function makeDecoder(limits: { maxStrLength: number; maxBinLength: number }): Decoder<undefined> {
  const d = new Decoder({
    extensionCodec: decodingExtensions,
    ...limits,
    maxExtLength: 1024 * 1024 * 1024,
  });
  const raw = d as unknown as {
    decodeBinary(length: number, head: number): Uint8Array;
    decodeExtension(size: number, head: number): unknown;
  };
  const originalBinary = raw.decodeBinary.bind(d);
  const originalExtension = raw.decodeExtension.bind(d);
  raw.decodeBinary = (length: number, head: number) => {
    const value = originalBinary(length, head);
    // only `bin` values count, as in the encoder: not an extension's payload, nor what a
    // nested payload (Map, Set, Error) holds
    if (length >= BIG_BINARY_BYTES && extensionDepth === 0) seenBins?.push(value);
    return value;
  };
  raw.decodeExtension = (size: number, head: number) => {
    extensionDepth++;
    try {
      return originalExtension(size, head);
    } finally {
      extensionDepth--;
    }
  };
  return d;
}

const decoder = makeDecoder({
  maxStrLength: 64 * 1024 * 1024,
  maxBinLength: 1024 * 1024 * 1024,
});

/**
 * Encodes a value. Throws {@linkcode SerializationError} naming the type of any part that
 * cannot travel.
 *
 * @param value The value to encode.
 * @param alloc Where the bytes go (fresh memory by default); e.g. an engine's Worker encodes
 * big results into buffers it reuses (`lib/engine/spare_buffers.ts`).
 * @returns The bytes: a fresh byte array, or what `alloc` gave.
 */
export function encodeValue(value: unknown, alloc?: Allocate): Uint8Array {
  try {
    return withEncoded(value, (bytes, end, holes) => joined(bytes, end, holes, alloc));
  } catch (error) {
    throw asSerializationError(error, value);
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
    throw asSerializationError(error, value);
  }
}

/** The payload of a big array in a one-element list, as {@linkcode arrayInList} finds it. */
export type ListedArray =
  | { kind: "numbers"; floats: Uint8Array }
  | { kind: "typed"; tag: number; data: Uint8Array };

/**
 * Reads, without decoding, a value that is exactly a one-element list holding a long array of
 * numbers (extension 6) or a big typed array (extension 4), as `pull` of one name returns them:
 * its payload, a view of `bytes`. Anything else (other shapes, short forms, trailing bytes)
 * gives `undefined`, and the caller decodes the value as usual.
 *
 * @param bytes An encoded value.
 */
export function arrayInList(bytes: Uint8Array): ListedArray | undefined {
  // fixarray of 1, ext 32: 4-byte big-endian size, type, payload
  if (bytes.length < 7 || bytes[0] !== 0x91 || bytes[1] !== 0xc9) return undefined;
  const size = ((bytes[2]! << 24) | (bytes[3]! << 16) | (bytes[4]! << 8) | bytes[5]!) >>> 0;
  if (bytes.length !== 7 + size) return undefined;
  const type = bytes[6];
  if (type === EXT_NUMBERS && size % 8 === 0) {
    return { kind: "numbers", floats: bytes.subarray(7) };
  }
  if (type === EXT_TYPED && size >= 1) {
    return { kind: "typed", tag: bytes[7]!, data: bytes.subarray(8) };
  }
  return undefined;
}

/** What went wrong encoding `value`, as a {@linkcode SerializationError}. */
function asSerializationError(error: unknown, value: unknown): SerializationError {
  if (error instanceof SerializationError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (
    /^Too deep objects/.test(message) ||
    (error instanceof RangeError && /call stack/.test(message))
  ) {
    return new SerializationError(
      `Cannot serialize a value of type ${typeName(value)}: ${explainTooDeep(value, MAX_DEPTH)}`,
      { cause: error },
    );
  }
  return new SerializationError(`Cannot serialize value: ${message}`, { cause: error });
}

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
  const outer = seenBins;
  seenBins = [];
  try {
    if (limits.maxStrLength !== undefined || limits.maxBinLength !== undefined) {
      return makeDecoder({
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
  } finally {
    seenBins = outer;
  }
}
