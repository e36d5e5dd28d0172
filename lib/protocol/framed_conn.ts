/**
 * A byte connection read as frames: wraps a {@linkcode ByteConn} with a
 * {@linkcode FrameDecoder}, counts bytes, and enforces the limits that protect a receiver from
 * its peer:
 *
 * - a frame size limit, checked from the length prefix before anything is allocated;
 * - a frame deadline: a frame whose first byte has arrived must be complete within
 *   `frameTimeoutMs` plus 1 ms per 1,000 bytes it declares (a big frame may take its time at
 *   1 MB/s or more; counted from its first byte even when its length arrives later), so a peer
 *   cannot hold a connection (and its buffer) open by trickling a frame byte by byte;
 * - an optional read budget: the most bytes the peer may send in total (used before
 *   authentication), checked as they are read;
 * - an optional one-frame-at-a-time mode (used during the handshake) that decodes no further
 *   than the frame asked for, so bytes meant for after the handshake are judged by the limits
 *   in force then.
 *
 * @module
 */

import { ProtocolError, TimeoutError } from "./errors.ts";
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from "./frame.ts";
import { type ByteConn, writeAll } from "./transport.ts";

/** Read buffer size of a new connection; it doubles (up to the maximum) while reads fill it. */
const MIN_READ_BUFFER_BYTES = 16 * 1024;
/** Largest read buffer: big transfers arrive in chunks of up to this. */
const MAX_READ_BUFFER_BYTES = 256 * 1024;

/** Default time a started frame has to complete: 30 s. */
export const DEFAULT_FRAME_TIMEOUT_MS = 30_000;

/** Options of {@linkcode FramedConn}; every one can also be changed later. */
export interface FramedConnOptions {
  /** Largest frame payload accepted. @default DEFAULT_MAX_FRAME_BYTES */
  maxFrameBytes?: number;
  /** Time a started frame has to complete; 0 disables the check. @default DEFAULT_FRAME_TIMEOUT_MS */
  frameTimeoutMs?: number;
  /** Most bytes that may be read in total; unlimited when undefined. @default undefined */
  readBudget?: number;
  /** Decode no further than the frame being read (handshake mode). @default false */
  oneFrameAtATime?: boolean;
}

/** A connection that reads whole frames. */
export class FramedConn {
  #conn: ByteConn;
  #decoder: FrameDecoder;
  #ready: Uint8Array[] = [];
  #buf: Uint8Array;
  #stash: Uint8Array | undefined;
  #bytesRead = 0;
  #closed = false;
  #frameTimeoutMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the open frame's deadline was armed, and whether its length was known then. */
  #armedAt = 0;
  #armedWithLength = false;
  #timedOut = false;
  #timeoutMs = 0;
  #readBudget: number | undefined;
  #oneFrameAtATime: boolean;

  /**
   * @param conn The byte stream.
   * @param options Limits (a number is taken as `maxFrameBytes`).
   */
  constructor(conn: ByteConn, options: FramedConnOptions | number = {}) {
    const o = typeof options === "number" ? { maxFrameBytes: options } : options;
    this.#conn = conn;
    this.#decoder = new FrameDecoder({ maxFrameBytes: o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
    this.#frameTimeoutMs = o.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS;
    this.#readBudget = o.readBudget;
    // before authentication a peer may send only the budget: a bigger buffer would be waste
    this.#buf = new Uint8Array(
      Math.min(MIN_READ_BUFFER_BYTES, (o.readBudget ?? MIN_READ_BUFFER_BYTES) + 1),
    );
    this.#oneFrameAtATime = o.oneFrameAtATime ?? false;
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

  /** Allocate payloads at their declared size (set once the peer is authenticated). */
  set eagerAllocation(value: boolean) {
    this.#decoder.eagerAllocation = value;
  }

  /** Time a started frame has to complete (0 = no limit); applies from the next frame. */
  get frameTimeoutMs(): number {
    return this.#frameTimeoutMs;
  }
  set frameTimeoutMs(value: number) {
    this.#frameTimeoutMs = value;
  }

  /** Most bytes that may be read in total (undefined = unlimited). */
  get readBudget(): number | undefined {
    return this.#readBudget;
  }
  set readBudget(value: number | undefined) {
    this.#readBudget = value;
  }

  /** True while a started frame is incomplete, i.e. while its deadline runs. */
  get awaitingFrameEnd(): boolean {
    return this.#timer !== undefined;
  }

  /** Whether bytes past the frame being read are left undecoded until asked for. */
  get oneFrameAtATime(): boolean {
    return this.#oneFrameAtATime;
  }
  set oneFrameAtATime(value: boolean) {
    this.#oneFrameAtATime = value;
  }

  /**
   * Reads the next frame's payload; null at a clean end of stream.
   *
   * @returns The payload, or null when the peer closed between frames.
   * @throws {ProtocolError} if the stream ends inside a frame, a frame is too large
   * (`FrameTooLargeError`) or the read budget is exceeded.
   * @throws {TimeoutError} if a started frame did not complete within `frameTimeoutMs`.
   */
  async readFrame(): Promise<Uint8Array | null> {
    while (this.#ready.length === 0) {
      if (this.#stash !== undefined) {
        const stash = this.#stash;
        this.#stash = undefined;
        this.#feed(stash, false);
        continue;
      }
      if (this.#timedOut) throw this.#timeoutError();
      // the rest of a big frame goes straight into its payload buffer
      const direct = this.#readBudget === undefined && !this.#oneFrameAtATime
        ? this.#decoder.directRoom()
        : undefined;
      const room = direct ?? this.#readRoom();
      let n: number | null;
      try {
        n = await this.#conn.read(room);
      } catch (error) {
        if (this.#timedOut) throw this.#timeoutError(error);
        if (this.#closed) return null;
        throw error;
      }
      if (n === null) {
        if (this.#timedOut) throw this.#timeoutError();
        this.#clearTimer();
        if (this.#decoder.inFrame) {
          throw new ProtocolError(
            `Connection closed in the middle of a frame (${this.#decoder.buffered} bytes of ` +
              `it received); the peer stopped or the network dropped it`,
          );
        }
        return null;
      }
      this.#bytesRead += n;
      if (this.#readBudget !== undefined && this.#bytesRead > this.#readBudget) {
        throw new ProtocolError(
          `Peer sent more than ${this.#readBudget} bytes before authenticating; an ipx peer ` +
            `sends a few hundred, so this is not one`,
        );
      }
      if (direct) {
        const frame = this.#decoder.commitDirect(n);
        if (frame) this.#ready.push(frame);
        this.#keepDeadline(frame ? 1 : 0);
        continue;
      }
      this.#feed(room.subarray(0, n), true);
      if (n === this.#buf.length && n < MAX_READ_BUFFER_BYTES) {
        this.#buf = new Uint8Array(n * 2); // the peer sends faster than we read: read more at once
      }
    }
    return this.#ready.shift()!;
  }

  /** The part of the read buffer to read into: never past the read budget (plus one byte). */
  #readRoom(): Uint8Array {
    if (this.#readBudget === undefined) return this.#buf;
    const left = Math.max(1, this.#readBudget - this.#bytesRead + 1);
    return left < this.#buf.length ? this.#buf.subarray(0, left) : this.#buf;
  }

  /**
   * Decodes bytes into ready frames and keeps the frame deadline.
   *
   * @param bytes The bytes.
   * @param borrowed Whether `bytes` is a view of the reusable read buffer (copy what is kept).
   */
  #feed(bytes: Uint8Array, borrowed: boolean): void {
    let completed = 0;
    if (this.#oneFrameAtATime) {
      const { frame, used } = this.#decoder.pushOne(bytes);
      if (frame) {
        this.#ready.push(frame);
        completed = 1;
      }
      if (used < bytes.length) {
        this.#stash = borrowed ? bytes.slice(used) : bytes.subarray(used);
      }
    } else {
      for (const frame of this.#decoder.push(bytes)) {
        this.#ready.push(frame);
        completed++;
      }
    }
    this.#keepDeadline(completed);
  }

  /** Stops the frame deadline when frames completed, starts it when a frame is open. */
  #keepDeadline(completed: number): void {
    if (completed > 0 || !this.#decoder.inFrame) this.#clearTimer();
    const declared = this.#decoder.declared;
    if (this.#timer !== undefined && !this.#armedWithLength && declared > 0) {
      // the length arrived after the frame's first bytes: the deadline grows by it now
      const armedAt = this.#armedAt;
      this.#clearTimer();
      this.#arm(this.#frameTimeoutMs + Math.ceil(declared / 1000), armedAt);
    }
    if (this.#decoder.inFrame && this.#timer === undefined && this.#frameTimeoutMs > 0) {
      this.#arm(this.#frameTimeoutMs + Math.ceil(declared / 1000), performance.now());
    }
  }

  /** Arms the open frame's deadline: `ms` after `since` (a `performance.now()` time). */
  #arm(ms: number, since: number): void {
    this.#armedAt = since;
    this.#armedWithLength = this.#decoder.declared > 0;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timedOut = true;
      this.#timeoutMs = ms;
      this.close();
    }, Math.max(0, since + ms - performance.now()));
  }

  #timeoutError(cause?: unknown): TimeoutError {
    const got = `${this.#decoder.buffered} of ${this.#decoder.declared || "?"} bytes received`;
    return new TimeoutError(
      `Peer started a frame and did not finish it within ${this.#timeoutMs} ms (${got}): ` +
        `a stalled or deliberately slow sender, so the connection was closed; if the network ` +
        `is just this slow, start the controller with a longer --frame-timeout-ms (engines ` +
        `and clients use the controller's)`,
      cause === undefined ? undefined : { cause },
    );
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
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
    this.#clearTimer();
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
