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

function makeEncoder(): Encoder<undefined> {
  const encoder = new Encoder({ extensionCodec, maxDepth: 256, initialBufferSize: 2048 });
  // msgpack maps undefined to nil before consulting extensions; keep undefined distinct.
  const raw = encoder as unknown as {
    doEncode(object: unknown, depth: number): void;
    encodeExtension(ext: { type: number; data: Uint8Array }): void;
  };
  const original = raw.doEncode.bind(encoder);
  const empty = new Uint8Array(0);
  raw.doEncode = (object: unknown, depth: number) => {
    if (object === undefined) raw.encodeExtension({ type: EXT_UNDEFINED, data: empty });
    else original(object, depth);
  };
  return encoder;
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
    return encoder.encode(value);
  } catch (error) {
    if (error instanceof SerializationError) throw error;
    throw new SerializationError(
      `Cannot serialize value: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
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
