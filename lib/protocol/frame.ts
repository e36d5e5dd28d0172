/**
 * Length-prefixed framing. A frame on the wire is a 4-byte big-endian payload length followed
 * by the payload. {@linkcode FrameDecoder} is a pure incremental decoder: feed it chunks as they
 * arrive, at any split, and it returns the complete payloads. The length is checked against the
 * limit as soon as the 4 header bytes are known, before anything is allocated for the payload,
 * and the payload's buffer then grows with the bytes actually received (see
 * {@linkcode INITIAL_PAYLOAD_BYTES}), so a header declaring a large frame costs nothing until
 * the data arrives.
 *
 * @module
 */

import { MAX_FRAME_LIMIT_BYTES, ProtocolError } from "./errors.ts";

/** Bytes in the length prefix. */
export const FRAME_HEADER_BYTES = 4;

/**
 * Default maximum payload size of a frame after authentication: 1 GiB, the largest binary value
 * the codec decodes (a frame is one message or a batch of them). The limit bounds what one
 * frame can make a receiver allocate; before authentication it is 4 KiB (`handshake.ts`).
 */
export const DEFAULT_MAX_FRAME_BYTES = MAX_FRAME_LIMIT_BYTES;

/** Thrown when a frame's declared length exceeds the limit. */
export class FrameTooLargeError extends ProtocolError {
  /** The declared payload length. */
  readonly size: number;
  /** The limit in force. */
  readonly limit: number;
  /**
   * @param size Declared payload length.
   * @param limit The limit in force.
   */
  constructor(size: number, limit: number) {
    super(
      `Frame of ${size} bytes exceeds the limit of ${limit} bytes; ` +
        `split the data into smaller pieces or raise the limit (--max-frame-mb)`,
    );
    this.size = size;
    this.limit = limit;
  }
}

/**
 * True when the 4 bytes read as a frame's length prefix are the start of a TLS record: a content
 * type from 20 to 23 (change_cipher_spec, alert, handshake, application_data) followed by
 * version 3.0 to 3.4. Before authentication no ipx frame is that large (at least 320 MiB), so such
 * a "length" means the peer speaks TLS to a plain-TCP end.
 *
 * @param declared The length the 4 bytes declare, e.g. {@linkcode FrameTooLargeError.size}.
 */
export function isTlsRecordHeader(declared: number): boolean {
  const type = declared >>> 24;
  const major = (declared >>> 16) & 0xff;
  const minor = (declared >>> 8) & 0xff;
  return type >= 0x14 && type <= 0x17 && major === 0x03 && minor <= 0x04;
}

/**
 * Writes the 4-byte length prefix for a payload of `length` bytes into `target` at `offset`.
 *
 * @param target Buffer to write into.
 * @param offset Where the header starts.
 * @param length Payload length.
 */
export function writeFrameHeader(target: Uint8Array, offset: number, length: number): void {
  target[offset] = length >>> 24;
  target[offset + 1] = (length >>> 16) & 0xff;
  target[offset + 2] = (length >>> 8) & 0xff;
  target[offset + 3] = length & 0xff;
}

/**
 * Encodes one frame (header + payload) into a new buffer.
 *
 * @param payload The frame payload.
 * @returns The framed bytes.
 */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  writeFrameHeader(out, 0, payload.length);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Options of {@linkcode FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Maximum payload size accepted. @default DEFAULT_MAX_FRAME_BYTES */
  maxFrameBytes?: number;
}

/**
 * Most bytes reserved up front for a payload that spans several chunks. A larger payload's
 * buffer grows (doubling) as its bytes arrive, so memory held for a frame in progress is at
 * most about twice what the peer actually sent, whatever length its header declared.
 */
export const INITIAL_PAYLOAD_BYTES = 1024 * 1024;

/** A frame completed by {@linkcode FrameDecoder.pushOne}, and how much of the chunk it used. */
export interface PushOneResult {
  /** The completed payload, or undefined when the chunk ended first. */
  frame: Uint8Array | undefined;
  /** Bytes of the chunk consumed; the rest was not looked at. */
  used: number;
}

/**
 * Incremental decoder of length-prefixed frames.
 *
 * @example
 * ```ts
 * const d = new FrameDecoder();
 * const frames = d.push(encodeFrame(new Uint8Array([1, 2, 3])));
 * ```
 */
export class FrameDecoder {
  #max: number;
  #eager = false;
  #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #payload: Uint8Array | undefined;
  #payloadLength = 0;
  #payloadFill = 0;

  /** @param options Decoder limits. */
  constructor(options: FrameDecoderOptions = {}) {
    this.#max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** The payload size limit; may be changed between frames (e.g. raised after authentication). */
  get maxFrameBytes(): number {
    return this.#max;
  }
  set maxFrameBytes(value: number) {
    this.#max = value;
  }

  /**
   * Allocate each payload at its declared size at once (for an authenticated peer: saves the
   * copies of growing the buffer). Off by default, so a header declaring a large frame costs
   * an unauthenticated peer's victim nothing until the bytes arrive.
   */
  get eagerAllocation(): boolean {
    return this.#eager;
  }
  set eagerAllocation(value: boolean) {
    this.#eager = value;
  }

  /** Bytes held for the frame in progress. */
  get buffered(): number {
    return this.#headerFill + this.#payloadFill;
  }

  /** Declared payload length of the frame in progress (0 when none or its header is partial). */
  get declared(): number {
    return this.#payloadLength;
  }

  /** Bytes allocated for the payload in progress (at most about twice {@linkcode buffered}). */
  get allocated(): number {
    return this.#payload?.length ?? 0;
  }

  /** True when a frame has started but is not complete. */
  get inFrame(): boolean {
    return this.#headerFill > 0 || this.#payload !== undefined;
  }

  /**
   * Feeds a chunk and returns every payload it completes, in order.
   * Throws {@linkcode FrameTooLargeError} as soon as a header declares too large a payload.
   *
   * @param chunk Bytes as received, of any length.
   * @returns The completed payloads (may be empty).
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#run(chunk, out, Infinity);
    return out;
  }

  /**
   * Feeds a chunk only up to the end of the first frame it completes, leaving the rest of the
   * chunk unread. Used before authentication, so bytes meant for later (under other limits)
   * are not judged by the pre-authentication limits.
   *
   * @param chunk Bytes as received, of any length.
   * @returns The completed payload, if any, and how many bytes were consumed.
   */
  pushOne(chunk: Uint8Array): PushOneResult {
    const out: Uint8Array[] = [];
    const used = this.#run(chunk, out, 1);
    return { frame: out[0], used };
  }

  /**
   * Where the rest of a big frame in progress can be read straight into, saving a copy: the
   * unfilled part of its payload buffer. Only with {@linkcode eagerAllocation} (authenticated
   * peers) and when at least `min` bytes are missing; undefined otherwise. Report what was
   * read with {@linkcode commitDirect} before pushing anything else.
   *
   * @param min Fewest missing bytes worth a direct read.
   */
  directRoom(min = 64 * 1024): Uint8Array | undefined {
    if (!this.#eager || this.#payload === undefined) return undefined;
    if (this.#payloadLength - this.#payloadFill < min) return undefined;
    return this.#payload.subarray(this.#payloadFill, this.#payloadLength);
  }

  /**
   * Records `n` bytes read into {@linkcode directRoom}.
   *
   * @param n Bytes read.
   * @returns The payload when this completed the frame.
   */
  commitDirect(n: number): Uint8Array | undefined {
    const payload = this.#payload;
    if (payload === undefined || n > this.#payloadLength - this.#payloadFill) {
      throw new RangeError("commitDirect() without a direct read of that size");
    }
    this.#payloadFill += n;
    if (this.#payloadFill < this.#payloadLength) return undefined;
    this.#payload = undefined;
    this.#payloadFill = 0;
    this.#payloadLength = 0;
    return payload;
  }

  #startPayload(len: number): void {
    this.#payloadLength = len;
    this.#payloadFill = 0;
    this.#payload = new Uint8Array(this.#eager ? len : Math.min(len, INITIAL_PAYLOAD_BYTES));
  }

  /** Makes room for `more` bytes of payload, doubling the buffer up to the declared length. */
  #reserve(more: number): Uint8Array {
    const payload = this.#payload!;
    const need = this.#payloadFill + more;
    if (need <= payload.length) return payload;
    let size = payload.length;
    while (size < need) size *= 2;
    const grown = new Uint8Array(Math.min(size, this.#payloadLength));
    grown.set(payload.subarray(0, this.#payloadFill));
    this.#payload = grown;
    return grown;
  }

  #run(chunk: Uint8Array, out: Uint8Array[], maxFrames: number): number {
    let pos = 0;
    while (pos < chunk.length && out.length < maxFrames) {
      if (this.#payload === undefined) {
        // Fast path: a whole frame inside this chunk, no header buffered.
        if (this.#headerFill === 0 && chunk.length - pos >= FRAME_HEADER_BYTES) {
          const len = ((chunk[pos]! << 24) >>> 0) + (chunk[pos + 1]! << 16) +
            (chunk[pos + 2]! << 8) + chunk[pos + 3]!;
          if (len > this.#max) throw new FrameTooLargeError(len, this.#max);
          pos += FRAME_HEADER_BYTES;
          if (chunk.length - pos >= len) {
            out.push(chunk.slice(pos, pos + len));
            pos += len;
            continue;
          }
          this.#startPayload(len);
          continue;
        }
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerFill, chunk.length - pos);
        this.#header.set(chunk.subarray(pos, pos + take), this.#headerFill);
        this.#headerFill += take;
        pos += take;
        if (this.#headerFill < FRAME_HEADER_BYTES) break;
        const h = this.#header;
        const len = ((h[0]! << 24) >>> 0) + (h[1]! << 16) + (h[2]! << 8) + h[3]!;
        this.#headerFill = 0;
        if (len > this.#max) throw new FrameTooLargeError(len, this.#max);
        if (len === 0) {
          out.push(new Uint8Array(0));
          continue;
        }
        this.#startPayload(len);
        continue;
      }
      const take = Math.min(this.#payloadLength - this.#payloadFill, chunk.length - pos);
      const payload = this.#reserve(take);
      payload.set(chunk.subarray(pos, pos + take), this.#payloadFill);
      this.#payloadFill += take;
      pos += take;
      if (this.#payloadFill === this.#payloadLength) {
        out.push(payload);
        this.#payload = undefined;
        this.#payloadFill = 0;
        this.#payloadLength = 0;
      }
    }
    return pos;
  }
}
