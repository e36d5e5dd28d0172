/**
 * A byte connection read as frames: wraps a {@linkcode ByteConn} with a
 * {@linkcode FrameDecoder} and counts bytes, for the handshake and the message channel.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from "./frame.ts";
import { type ByteConn, writeAll } from "./transport.ts";

const READ_BUFFER_BYTES = 256 * 1024;

/** A connection that reads whole frames. */
export class FramedConn {
  #conn: ByteConn;
  #decoder: FrameDecoder;
  #ready: Uint8Array[] = [];
  #buf = new Uint8Array(READ_BUFFER_BYTES);
  #bytesRead = 0;
  #closed = false;

  /**
   * @param conn The byte stream.
   * @param maxFrameBytes Initial frame size limit.
   */
  constructor(conn: ByteConn, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.#conn = conn;
    this.#decoder = new FrameDecoder({ maxFrameBytes });
  }

  /** The underlying byte stream. */
  get conn(): ByteConn {
    return this.#conn;
  }

  /** Total bytes read so far. */
  get bytesRead(): number {
    return this.#bytesRead;
  }

  /** The frame size limit (changed after authentication). */
  get maxFrameBytes(): number {
    return this.#decoder.maxFrameBytes;
  }
  set maxFrameBytes(value: number) {
    this.#decoder.maxFrameBytes = value;
  }

  /**
   * Reads the next frame's payload; null at a clean end of stream.
   * Throws {@linkcode ProtocolError} if the stream ends inside a frame.
   */
  async readFrame(): Promise<Uint8Array | null> {
    while (this.#ready.length === 0) {
      let n: number | null;
      try {
        n = await this.#conn.read(this.#buf);
      } catch (error) {
        if (this.#closed) return null;
        throw error;
      }
      if (n === null) {
        if (this.#decoder.inFrame) {
          throw new ProtocolError("Connection closed in the middle of a frame");
        }
        return null;
      }
      this.#bytesRead += n;
      for (const f of this.#decoder.push(this.#buf.subarray(0, n))) this.#ready.push(f);
    }
    return this.#ready.shift()!;
  }

  /**
   * Writes raw bytes (already framed).
   *
   * @param bytes The bytes.
   */
  write(bytes: Uint8Array): Promise<void> {
    return writeAll(this.#conn, bytes);
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer
    }
  }

  /** True once {@linkcode close} was called. */
  get closed(): boolean {
    return this.#closed;
  }
}
