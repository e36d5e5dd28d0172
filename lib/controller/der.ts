/**
 * The few ASN.1 DER encodings an X.509 certificate needs (writing), and a reader of DER
 * elements (tag, length, bounds) for taking fields out of an existing certificate. DER only:
 * definite lengths, minimal integers, one encoding per value. Used by `cert_builder.ts`.
 *
 * @module
 */

import { concatBytes } from "../protocol/concat_bytes.ts";

/** A DER element: tag byte, content bounds within the bytes it was read from. */
export interface DerElement {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the last content byte. */
  end: number;
}

/** The bytes are not the DER this module reads. */
export class DerError extends Error {
  /**
   * @param message What is wrong, and at which offset.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DerError";
  }
}

/** Universal tags used here. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/**
 * One element: identifier octet, definite length, content.
 *
 * @param tag Identifier octet (for example {@linkcode TAG}`.SEQUENCE`, or `0xa0` for `[0]`
 *   constructed).
 * @param content The content octets (several parts are concatenated).
 * @returns The element's DER.
 */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const size = content.reduce((sum, part) => sum + part.length, 0);
  return concatBytes([Uint8Array.from([tag, ...lengthBytes(size)]), ...content]);
}

/** SEQUENCE of the given elements. */
export function sequence(...items: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return tlv(TAG.SEQUENCE, ...items);
}

/** SET of the given elements (one element, or elements already in DER order). */
export function set(...items: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return tlv(TAG.SET, ...items);
}

/** BOOLEAN (`TRUE` is 0xff in DER). */
export function boolean(value: boolean): Uint8Array<ArrayBuffer> {
  return tlv(TAG.BOOLEAN, Uint8Array.of(value ? 0xff : 0));
}

/**
 * INTEGER, non-negative: from a small number, or from big-endian magnitude bytes (leading
 * zeros are dropped and a 0x00 is put in front when the top bit is set, as DER requires).
 */
export function integer(value: number | Uint8Array): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`DER integer must be a non-negative safe integer, got ${value}`);
    }
    const out: number[] = [];
    for (let v = value; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
    bytes = Uint8Array.from(out);
  } else {
    let first = 0;
    while (first < value.length && value[first] === 0) first++;
    bytes = value.subarray(first);
  }
  if (bytes.length === 0) return tlv(TAG.INTEGER, Uint8Array.of(0));
  return (bytes[0]! & 0x80) ? tlv(TAG.INTEGER, Uint8Array.of(0), bytes) : tlv(TAG.INTEGER, bytes);
}

/** OBJECT IDENTIFIER from dotted text, e.g. `"2.5.29.19"`. */
export function oid(dotted: string): Uint8Array<ArrayBuffer> {
  const arcs = dotted.split(".").map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`bad OID ${dotted}`);
    return Number(arc);
  });
  const [a, b, ...rest] = arcs;
  if (a === undefined || b === undefined || a > 2 || (a < 2 && b > 39)) {
    throw new RangeError(`bad OID ${dotted}`);
  }
  const out: number[] = [];
  for (const arc of [a * 40 + b, ...rest]) {
    const base128 = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) {
      base128.unshift(0x80 | (v & 0x7f));
    }
    out.push(...base128);
  }
  return tlv(TAG.OID, Uint8Array.from(out));
}

/** OCTET STRING. */
export function octetString(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return tlv(TAG.OCTET_STRING, bytes);
}

/** BIT STRING of whole bytes (no unused bits), as keys and signatures are. */
export function bitString(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return tlv(TAG.BIT_STRING, Uint8Array.of(0), bytes);
}

/**
 * BIT STRING of named bits (bit 0 is the first byte's top bit), in DER's form: trailing zero
 * bits are not encoded. Used for KeyUsage.
 */
export function namedBits(bits: number[]): Uint8Array<ArrayBuffer> {
  const highest = bits.length === 0 ? -1 : Math.max(...bits);
  const bytes = new Uint8Array(Math.ceil((highest + 1) / 8));
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = bytes.length * 8 - (highest + 1);
  return tlv(TAG.BIT_STRING, Uint8Array.of(unused), bytes);
}

/** UTF8String. */
export function utf8String(text: string): Uint8Array<ArrayBuffer> {
  return tlv(TAG.UTF8_STRING, new TextEncoder().encode(text));
}

/**
 * X.509 Time: UTCTime for 1950–2049 and GeneralizedTime otherwise (RFC 5280 §4.1.2.5), to the
 * second, in UTC.
 */
export function time(date: Date): Uint8Array<ArrayBuffer> {
  const year = date.getUTCFullYear();
  const two = (n: number) => String(n).padStart(2, "0");
  const rest = two(date.getUTCMonth() + 1) + two(date.getUTCDate()) + two(date.getUTCHours()) +
    two(date.getUTCMinutes()) + two(date.getUTCSeconds()) + "Z";
  const utc = year >= 1950 && year < 2050;
  const text = utc ? two(year % 100) + rest : String(year).padStart(4, "0") + rest;
  return tlv(utc ? TAG.UTC_TIME : TAG.GENERALIZED_TIME, new TextEncoder().encode(text));
}

/** `[n]` EXPLICIT: a constructed context-specific element wrapping `inner`. */
export function explicit(n: number, inner: Uint8Array): Uint8Array<ArrayBuffer> {
  return tlv(0xa0 | n, inner);
}

/** `[n]` IMPLICIT of a primitive type: context-specific tag `n`, the type's content octets. */
export function implicit(n: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  return tlv(0x80 | n, content);
}

/**
 * Reads the element starting at `offset`.
 *
 * @param bytes DER bytes.
 * @param offset Where the element's identifier octet is.
 * @param limit Where the enclosing content ends (default: the end of `bytes`).
 * @returns Its tag and bounds.
 * @throws {DerError} on a high tag number, an indefinite or non-minimal length, or an element
 *   running past `limit`.
 */
export function readElement(bytes: Uint8Array, offset: number, limit = bytes.length): DerElement {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined || offset + 2 > limit) {
    throw new DerError(`DER element at ${offset} is truncated`);
  }
  if ((tag & 0x1f) === 0x1f) throw new DerError(`DER element at ${offset} has a high tag number`);
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) {
      throw new DerError(`DER element at ${offset} has an unsupported length form`);
    }
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = bytes[contentStart + i];
      if (b === undefined) throw new DerError(`DER element at ${offset} is truncated`);
      length = length * 256 + b;
    }
    if (length < 0x80 || bytes[contentStart] === 0) {
      throw new DerError(`DER element at ${offset} has a non-minimal length`);
    }
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError(`DER element at ${offset} runs past its container`);
  return { tag, start: offset, contentStart, end };
}

/**
 * The elements inside a constructed element, in order.
 *
 * @throws {DerError} when they do not exactly fill its content.
 */
export function children(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const out: DerElement[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const child = readElement(bytes, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}
