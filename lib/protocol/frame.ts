/**
 * Length-prefixed framing. A frame on the wire is a 4-byte big-endian payload length followed
 * by the payload. {@linkcode FrameDecoder} is a pure incremental decoder: feed it chunks as they
 * arrive, at any split, and it returns the complete payloads. The length is checked against the
 * limit as soon as the 4 header bytes are known, before anything is allocated for the payload.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";

/** Bytes in the length prefix. */
export const FRAME_HEADER_BYTES = 4;

/** Default maximum payload size of a frame: 64 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

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
  #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFill = 0;
  #payload: Uint8Array | undefined;
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

  /** Bytes held for the frame in progress. */
  get buffered(): number {
    return this.#headerFill + this.#payloadFill;
  }

  /** True when a frame has started but is not complete. */
  get inFrame(): boolean {
    return this.buffered > 0;
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
    let pos = 0;
    while (pos < chunk.length) {
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
          this.#payload = new Uint8Array(len);
          this.#payloadFill = 0;
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
        this.#payload = new Uint8Array(len);
        this.#payloadFill = 0;
        continue;
      }
      const payload = this.#payload;
      const take = Math.min(payload.length - this.#payloadFill, chunk.length - pos);
      payload.set(chunk.subarray(pos, pos + take), this.#payloadFill);
      this.#payloadFill += take;
      pos += take;
      if (this.#payloadFill === payload.length) {
        out.push(payload);
        this.#payload = undefined;
        this.#payloadFill = 0;
      }
    }
    return out;
  }
}
