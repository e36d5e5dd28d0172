/**
 * The authenticated message channel: typed messages in, typed messages out, over a
 * {@linkcode FramedConn} after a successful handshake.
 *
 * Frame payload layout: `MAC (32 bytes) ‖ body`, where body is the msgpack encoding of an
 * array of messages. Messages sent in the same tick are coalesced into one frame, so one MAC
 * and one write cover a whole batch.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { MAC_BYTES } from "./auth.ts";
import type { FrameSigner, FrameVerifier } from "./frame_mac.ts";
const EMPTY = new Uint8Array(0);
import { decodeValue, encodeValueChunks } from "./codec.ts";
import {
  AuthenticationError,
  ConnectionError,
  MessageTooLargeError,
  mib,
  ProtocolError,
  TimeoutError,
} from "./errors.ts";
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES, writeFrameHeader } from "./frame.ts";
import type { FramedConn } from "./framed_conn.ts";

/** A message with a `type` discriminant. */
export interface Typed {
  /** The discriminant. */
  type: string;
}

/** Parts above this size are written on their own, without copying them into a bigger one. */
const COPY_LIMIT = 64 * 1024;

/**
 * Joins runs of small parts into one array each, so a frame takes few writes while big parts
 * (user values, left out of the encoder's buffer) are written from where they are.
 *
 * @param parts The frame's parts in order.
 * @returns The parts to write.
 */
export function coalesce(parts: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  let runBytes = 0;
  const endRun = () => {
    if (run.length === 1) out.push(run[0]!);
    else if (run.length > 1) {
      const joined = new Uint8Array(runBytes);
      let at = 0;
      for (const r of run) {
        joined.set(r, at);
        at += r.length;
      }
      out.push(joined);
    }
    run = [];
    runBytes = 0;
  };
  for (const p of parts) {
    if (p.length > COPY_LIMIT) {
      endRun();
      out.push(p);
    } else {
      run.push(p);
      runBytes += p.length;
    }
  }
  endRun();
  return out;
}

/**
 * Objects (arrays, maps, binary values) a received frame may decode into: one per 8 bytes of
 * body, at least 4096 and at most 2 million. Envelopes carry user values as single binary
 * values and hold one object per 20 bytes or more, while a hostile frame of one-byte empty maps
 * would otherwise grow some 75-fold when decoded (64 MiB into about 5 GB).
 *
 * @param bodyBytes Size of the frame body.
 * @returns The most objects it may decode into.
 */
export function objectBudget(bodyBytes: number): number {
  return Math.min(2_000_000, Math.max(4096, Math.floor(bodyBytes / 8)));
}

/** Options of {@linkcode Channel}. */
export interface ChannelOptions {
  /** Description of the peer for error messages, e.g. `engine 3 (10.0.0.5:4711)`. */
  peer?: string;
  /** Called when a message handler throws; the channel keeps going. */
  onHandlerError?: (error: unknown) => void;
  /**
   * Called before each frame is encoded, e.g. to commit records the frame's messages speak of
   * (the controller writes finished tasks before their results leave).
   */
  beforeFlush?: () => void;
}

/**
 * An authenticated, ordered, batched message channel.
 *
 * @typeParam Out Messages this side sends.
 * @typeParam In Messages this side receives.
 */
export class Channel<Out extends Typed, In extends Typed> {
  #framed: FramedConn;
  #signer: FrameSigner | null;
  #verifier: FrameVerifier | null;
  #pending: Out[] = [];
  #flushScheduled = false;
  /** Told when the next flush has handed its frames to the writer (see {@linkcode written}). */
  #afterFlush: (() => void)[] = [];
  #writeChain: Promise<void> = Promise.resolve();
  #closedError: Error | undefined;
  #isClosed = false;
  #closed: Promise<Error | undefined>;
  #resolveClosed!: (e: Error | undefined) => void;
  #peer: string;
  #onHandlerError: (error: unknown) => void;
  #beforeFlush: (() => void) | undefined;
  /** Largest frame payload the peer accepts. */
  sendLimit: number = DEFAULT_MAX_FRAME_BYTES;

  /**
   * @param framed The framed connection (handshake done).
   * @param signer Signs what we send (null over TLS, which authenticates every byte).
   * @param verifier Verifies what we receive (null over TLS).
   * @param options Peer description and handler error hook.
   */
  constructor(
    framed: FramedConn,
    signer: FrameSigner | null,
    verifier: FrameVerifier | null,
    options: ChannelOptions = {},
  ) {
    this.#framed = framed;
    this.#signer = signer;
    this.#verifier = verifier;
    this.#peer = options.peer ?? "peer";
    this.#onHandlerError = options.onHandlerError ??
      ((e) => console.error(`ipx: message handler failed for ${this.#peer}:`, e));
    this.#beforeFlush = options.beforeFlush;
    this.#closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  /**
   * Told of a message that was not sent because, alone in a frame, it is larger than the peer
   * accepts ({@linkcode sendLimit}); owners assign their own to answer whoever waits for it. By
   * default the handler error hook gets a {@linkcode MessageTooLargeError}.
   *
   * @param msg The message, dropped.
   * @param bytes Its frame's payload size.
   * @param limit The peer's limit.
   */
  onTooLarge(msg: Out, bytes: number, limit: number): void {
    this.#onHandlerError(
      new MessageTooLargeError(
        `A "${msg.type}" message of ${mib(bytes)} for ${this.#peer} was not sent: the peer ` +
          `accepts at most ${mib(limit)} in one message (the controller's --max-frame-mb)`,
        bytes,
        limit,
      ),
    );
  }

  /** Resolves when the channel closes: undefined for a clean close, else the error. */
  get closed(): Promise<Error | undefined> {
    return this.#closed;
  }

  /**
   * Bytes received so far, frames not yet complete included: a peer sending a big message is
   * alive while its frame is still arriving (liveness checks read this).
   */
  get bytesRead(): number {
    return this.#framed.bytesRead;
  }

  /** True once closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** The peer description. */
  get peer(): string {
    return this.#peer;
  }

  /**
   * Queues a message. Messages queued while the event loop handles one round of I/O go out as
   * one frame, written once that round is done (`setImmediate`): under load, the results of
   * many incoming frames share one write, one MAC and one commit of the controller's records.
   * Sending on a closed channel is silently dropped (the close is reported via `closed`).
   *
   * @param msg The message.
   */
  send(msg: Out): void {
    if (this.#isClosed) return;
    this.#pending.push(msg);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flushNow());
    }
  }

  /**
   * The last message queued and not written yet (its frame is encoded at the end of the I/O
   * round): a sender may still add to it, e.g. join output to output.
   *
   * @returns The message, or undefined when nothing waits.
   */
  lastPending(): Out | undefined {
    return this.#pending.at(-1);
  }

  /**
   * Resolves once every message queued so far has been written (or dropped by a close),
   * without sending them early: the scheduled flush still coalesces them into one frame.
   */
  written(): Promise<void> {
    if (this.#pending.length === 0) return this.#writeChain;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#afterFlush.push(resolve);
    return promise.then(() => this.#writeChain);
  }

  /** Sends everything queued and resolves when it has been written. */
  flush(): Promise<void> {
    this.#flushNow();
    return this.#writeChain;
  }

  #flushNow(): void {
    this.#flushScheduled = false;
    const waiting = this.#afterFlush;
    this.#afterFlush = [];
    try {
      this.#flushPending();
    } finally {
      for (const resolve of waiting) resolve();
    }
  }

  #flushPending(): void {
    if (this.#pending.length === 0 || this.#isClosed) return;
    this.#beforeFlush?.();
    const batch = this.#pending;
    this.#pending = [];
    try {
      const body = encodeValueChunks(batch);
      if (this.#frameBytes(body) <= this.sendLimit) this.#write(body);
      else this.#writeSplit(batch);
    } catch (error) {
      this.close(new ProtocolError(`Cannot encode message for ${this.#peer}`, { cause: error }));
    }
  }

  /** Payload bytes of a frame of `body` (with its MAC). */
  #frameBytes(body: Uint8Array[]): number {
    let len = this.#signer ? MAC_BYTES : 0;
    for (const b of body) len += b.length;
    return len;
  }

  /**
   * Sends a batch too big for one frame as several, in order, each as full as the peer's limit
   * allows; a message too big on its own is handed to {@linkcode onTooLarge} instead.
   */
  #writeSplit(batch: Out[]): void {
    let group: Out[] = [];
    let groupBytes = 0;
    const emit = () => {
      if (group.length > 0) this.#write(encodeValueChunks(group));
      group = [];
      groupBytes = 0;
    };
    for (const msg of batch) {
      const bytes = this.#frameBytes(encodeValueChunks([msg]));
      if (bytes > this.sendLimit) {
        this.onTooLarge(msg, bytes, this.sendLimit);
        continue;
      }
      // an array header grows by at most 4 bytes past one element
      if (group.length > 0 && groupBytes + bytes + 4 > this.sendLimit) emit();
      group.push(msg);
      groupBytes += bytes;
    }
    emit();
  }

  #write(body: Uint8Array[]): void {
    const mac = this.#signer ? this.#signer.sign(body) : EMPTY;
    let len = mac.length;
    for (const b of body) len += b.length;
    const head = new Uint8Array(FRAME_HEADER_BYTES + mac.length);
    writeFrameHeader(head, 0, len);
    head.set(mac, FRAME_HEADER_BYTES);
    const parts = coalesce([head, ...body]);
    this.#writeChain = this.#writeChain.then(async () => {
      if (this.#framed.closed) return;
      try {
        for (const p of parts) await this.#framed.write(p);
      } catch (error) {
        this.close(
          new ConnectionError(`Connection to ${this.#peer} lost while sending`, { cause: error }),
        );
      }
    });
  }

  /**
   * Runs the receive loop, calling `onMessage` for each message in order, until the channel
   * closes. Resolves with the closing error (undefined for a clean close).
   *
   * `alone` is true when the message was the only one in its frame: binary values in it are
   * views of a buffer nothing else refers to, which the receiver may then transfer to a Worker
   * instead of copying.
   *
   * @param onMessage Handler of each received message.
   */
  async run(onMessage: (msg: In, alone: boolean) => void): Promise<Error | undefined> {
    try {
      while (!this.#isClosed) {
        const payload = await this.#framed.readFrame();
        if (payload === null) break;
        const body = this.#verifier ? this.#verifier.open(payload) : payload;
        const batch = decodeValue(body, { maxObjects: objectBudget(body.length) });
        if (!Array.isArray(batch)) {
          throw new ProtocolError("Malformed frame: expected a message batch (a list)");
        }
        for (const msg of batch) {
          if (msg === null || typeof msg !== "object" || typeof msg.type !== "string") {
            throw new ProtocolError("Malformed message: no type");
          }
          try {
            onMessage(msg as In, batch.length === 1);
          } catch (error) {
            if (error instanceof ProtocolError) throw error;
            this.#onHandlerError(error);
          }
        }
      }
      this.close();
    } catch (error) {
      this.close(this.#naming(error));
    }
    return this.#closed;
  }

  /** The error with the peer named in its message (for logs), keeping its kind and cause. */
  #naming(error: unknown): Error {
    if (!(error instanceof Error)) return new ProtocolError(`${this.#peer}: ${String(error)}`);
    const message = `${this.#peer}: ${error.message}`;
    if (error instanceof AuthenticationError) {
      return new AuthenticationError(message, { cause: error });
    }
    if (error instanceof TimeoutError) return new TimeoutError(message, { cause: error });
    if (error instanceof ProtocolError) return new ProtocolError(message, { cause: error });
    return error;
  }

  /**
   * Closes the channel after writing what was sent on it (messages still waiting for the end of
   * the I/O round go out first).
   *
   * @param error Why, when it is not a clean close.
   */
  close(error?: Error): void {
    if (this.#isClosed) return;
    this.#flushNow();
    this.#isClosed = true;
    this.#closedError = error;
    this.#pending = [];
    // let frames already handed to the writer go out, then close the socket
    const chain = this.#writeChain;
    const timer = setTimeout(() => this.#framed.close(), 1000);
    chain.finally(() => {
      clearTimeout(timer);
      this.#framed.close();
    });
    this.#resolveClosed(this.#closedError);
  }

  /** Closes the channel. */
  [Symbol.dispose](): void {
    this.close();
  }
}
