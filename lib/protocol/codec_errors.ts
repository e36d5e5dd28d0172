/**
 * The Error extension of the ipx value codec (extension 5, see `codec.ts`): how an Error is
 * written as a msgpack record `{ name, message, stack, cause?, errors?, props? }` and rebuilt
 * from it as its built-in class (or an `Error` with its name).
 *
 * @module
 */

import { concatBytes } from "./concat_bytes.ts";
import { ProtocolError, SerializationError } from "./errors.ts";

/**
 * Encodes a part of an Error's record `levels` below the extension's object (the `encode` of
 * `NestedCodec` in `codec_extensions.ts`).
 */
export interface ErrorPartEncoder {
  /** Encodes a value `levels` below the extension's object; throws what the encoder throws. */
  encode(value: unknown, levels: number): Uint8Array;
}

const textEncoder = new TextEncoder();

/** The built-in Error classes an Error decodes as, by name (`AggregateError` aside). */
const BUILTIN_ERRORS = new Map<string, ErrorConstructor>([
  ["Error", Error],
  ["TypeError", TypeError],
  ["RangeError", RangeError],
  ["SyntaxError", SyntaxError],
  ["ReferenceError", ReferenceError],
  ["EvalError", EvalError],
  ["URIError", URIError],
]);

/** Fields of the Error record that own properties of the same names never override. */
const ERROR_FIELDS = new Set(["name", "message", "stack", "cause"]);

/**
 * The payload of extension 5: a msgpack map `{ name, message, stack, cause?, errors?, props? }`
 * (`errors` for an AggregateError, `props` the own enumerable properties), built from parts
 * encoded one at a time, so each is encoded once: a `cause` or a member of `errors` that cannot
 * travel goes as its `String()`, a property that cannot travel is left out.
 *
 * @param v The Error.
 * @param nested Encodes each part of the record.
 * @param inProgress Errors being encoded, outermost first: one met again inside itself is a
 * cycle (shared by every encode of one extension codec).
 */
export function encodeError(
  v: Error,
  nested: ErrorPartEncoder,
  inProgress: Set<Error>,
): Uint8Array {
  if (inProgress.has(v)) {
    // only ever inside one of its own parts, which then goes as a string or is left out
    throw new SerializationError("Cannot serialize an Error that holds itself");
  }
  inProgress.add(v);
  try {
    /** The encoded part, or undefined when it cannot travel. */
    const part = (value: unknown, levels: number) => {
      try {
        return nested.encode(value, levels);
      } catch {
        return undefined;
      }
    };
    const fields: Uint8Array[] = [];
    const field = (key: string, bytes: Uint8Array) => fields.push(msgpackString(key), bytes);
    // through the encoder, so its depth limit applies to the record's fields too (as the
    // decoder's does): an Error too deep for them fails as a whole
    field("name", nested.encode(safeString(v.name), 2));
    field("message", msgpackString(safeString(v.message)));
    field("stack", msgpackString(safeString(v.stack ?? "")));
    if (v.cause !== undefined) {
      field("cause", part(v.cause, 2) ?? msgpackString(safeString(v.cause)));
    }
    const aggregate = v instanceof AggregateError && Array.isArray(v.errors);
    if (aggregate) {
      const members = (v.errors as unknown[]).map((e) =>
        part(e, 3) ?? msgpackString(safeString(e))
      );
      field("errors", concatBytes([containerHeader(0x90, 0xdc, members.length), ...members]));
    }
    const props: Uint8Array[] = [];
    for (const key of Object.keys(v)) {
      if (ERROR_FIELDS.has(key) || (aggregate && key === "errors")) continue;
      let bytes: Uint8Array | undefined;
      try {
        bytes = part((v as unknown as Record<string, unknown>)[key], 3);
      } catch {
        // a getter threw: leave the property out
      }
      if (bytes !== undefined) props.push(msgpackString(key), bytes);
    }
    if (props.length > 0) {
      field("props", concatBytes([containerHeader(0x80, 0xde, props.length / 2), ...props]));
    }
    return concatBytes([containerHeader(0x80, 0xde, fields.length / 2), ...fields]);
  } finally {
    inProgress.delete(v);
  }
}

/**
 * Rebuilds an Error from its decoded record (see {@linkcode encodeError}).
 *
 * @param r The decoded payload of extension 5.
 * @throws {ProtocolError} when it is not a record, or its `props` are not one.
 */
export function decodeError(r: unknown): Error {
  if (!isRecord(r)) throw new ProtocolError("Cannot decode Error: its payload is not a record");
  const name = String(r.name ?? "Error");
  const message = String(r.message ?? "");
  const options = Object.hasOwn(r, "cause") ? { cause: r.cause } : undefined;
  let err: Error;
  if (name === "AggregateError") {
    err = new AggregateError(Array.isArray(r.errors) ? r.errors : [], message, options);
  } else {
    const ctor = BUILTIN_ERRORS.get(name);
    err = new (ctor ?? Error)(message, options);
    if (ctor === undefined) err.name = name;
  }
  err.stack = String(r.stack ?? "");
  if (r.props !== undefined) {
    if (!isRecord(r.props)) {
      throw new ProtocolError("Cannot decode Error: its properties are not a record");
    }
    for (const key of Object.keys(r.props)) {
      // the decoder refuses `__proto__` keys already; never let one reach the Error either
      if (key === "__proto__" || ERROR_FIELDS.has(key)) continue;
      if (name === "AggregateError" && key === "errors") continue;
      Object.defineProperty(err, key, {
        value: r.props[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return err;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype;
}

/** `String(v)`, or the `Object.prototype.toString` tag when that throws (e.g. a symbol key). */
function safeString(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** A string as msgpack (`str 8/16/32`, or `fixstr`). */
function msgpackString(s: string): Uint8Array {
  const text = textEncoder.encode(s);
  const n = text.length;
  const head = n < 32
    ? [0xa0 | n]
    : n < 0x100
    ? [0xd9, n]
    : n < 0x10000
    ? [0xda, n >>> 8, n & 0xff]
    : [0xdb, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  out.set(text, head.length);
  return out;
}

/** A msgpack array or map header of `n` entries: `fix | n`, else the 16- or 32-bit form. */
function containerHeader(fix: number, long16: number, n: number): Uint8Array {
  if (n < 16) return new Uint8Array([fix | n]);
  if (n < 0x10000) return new Uint8Array([long16, n >>> 8, n & 0xff]);
  return new Uint8Array([long16 + 1, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}
