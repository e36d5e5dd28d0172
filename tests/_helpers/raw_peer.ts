/**
 * A hand-driven ipx peer for security tests and the fuzzer. It opens a TCP, TLS or local Unix
 * socket connection to a controller, can run the real handshake with a key (built here from the auth primitives, not
 * with `clientHandshake`, so a test can stop or deviate at any step), and then sends crafted
 * bytes: frames signed with the session key, frames signed with any sequence number, captured
 * frames replayed, or raw garbage. Reads are verified with the controller's session key.
 *
 * @module
 */

import {
  decodeKey,
  deriveSessionKeys,
  generateNonce,
  handshakeProof,
  MAC_BYTES,
  type SessionKeys,
} from "../../lib/protocol/auth.ts";
import { frameMac, FrameVerifier } from "../../lib/protocol/frame_mac.ts";
import { decodeValue, encodeValue } from "../../lib/protocol/codec.ts";
import { encodeFrame, FRAME_HEADER_BYTES, writeFrameHeader } from "../../lib/protocol/frame.ts";
import { FramedConn } from "../../lib/protocol/framed_conn.ts";
import { connectTlsPinned } from "../../lib/protocol/tls.ts";
import type { ByteConn } from "../../lib/protocol/transport.ts";
import { connectUnix } from "../../lib/protocol/unix_socket.ts";
import { IPX_VERSION, PROTOCOL_VERSION } from "../../lib/protocol/version.ts";

/** Where a controller listens, as in a connection file. */
export interface RawPeerTarget {
  /** Host to connect to. */
  host: string;
  /** Port. */
  port: number;
  /** Plain TCP or TLS. */
  transport: "tcp" | "tls";
  /** CA to pin for TLS. */
  tlsCaPem?: string;
  /** The controller certificate's fingerprint, as real peers pin it from the connection file. */
  tlsCertFingerprint?: string;
  /** Connect to the controller's local Unix socket instead (`host`, `port` unused). */
  unixPath?: string;
}

/** The controller refused the handshake (a `reject` message), or it ended unexpectedly. */
export class HandshakeRefusedError extends Error {
  /** The reject reason (`auth`, `version`, `protocol`), or `closed`. */
  readonly reason: string;
  /**
   * @param reason The reject reason.
   * @param message What the controller said.
   * @param options Standard error options (`cause`).
   */
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(`Controller refused the handshake (${reason}): ${message}`, options);
    this.name = "HandshakeRefusedError";
    this.reason = reason;
  }
}

/** Options of {@linkcode RawPeer.handshake}. */
export interface RawHandshakeOptions {
  /** Base64 cluster key. */
  key: string;
  /** Role to announce. @default "client" */
  role?: "engine" | "client";
}

/** How a connection ended, as seen by {@linkcode RawPeer.waitClosed}. */
export interface ClosedBy {
  /** Milliseconds from the call (or from `since`) to the end of the stream. */
  ms: number;
  /** The read error, when the stream ended with one (e.g. a reset). */
  error?: unknown;
}

/** One hand-driven connection to a controller. */
export class RawPeer implements AsyncDisposable {
  #conn: ByteConn;
  #framed: FramedConn;
  #localPort: number;
  #keys: SessionKeys | undefined;
  #sendSeq = 0;
  #frameMac = true;
  #verifier: FrameVerifier | undefined;
  #closed = false;
  #stalled = false;

  private constructor(conn: ByteConn, localPort: number) {
    this.#conn = conn;
    this.#localPort = localPort;
    // reads are judged by no limit but the default size: the peer under test is the other side
    this.#framed = new FramedConn(conn, { frameTimeoutMs: 0 });
  }

  /**
   * Connects to a controller.
   *
   * @param target Address and transport (TLS pins `tlsCaPem`).
   * @returns The unauthenticated peer.
   */
  static async open(target: RawPeerTarget): Promise<RawPeer> {
    if (target.unixPath) return new RawPeer(await connectUnix(target.unixPath), 0);
    if (target.transport === "tls") {
      if (!target.tlsCaPem) throw new TypeError("Cannot open a TLS raw peer without tlsCaPem");
      const conn = await connectTlsPinned({
        hostname: target.host,
        port: target.port,
        caPem: target.tlsCaPem,
        ...(target.tlsCertFingerprint ? { leafFingerprint: target.tlsCertFingerprint } : {}),
      });
      return new RawPeer(conn, (conn.localAddr as Deno.NetAddr).port);
    }
    const conn = await Deno.connect({ hostname: target.host, port: target.port });
    conn.setNoDelay(true);
    return new RawPeer(conn, conn.localAddr.port);
  }

  /** The local port, which the controller logs as the peer's address (0 on a Unix socket). */
  get localPort(): number {
    return this.#localPort;
  }

  /** The session keys, once the handshake is done. */
  get keys(): SessionKeys {
    if (!this.#keys) throw new TypeError("Cannot use session keys before the handshake");
    return this.#keys;
  }

  /** Sequence number the next signed frame will carry. */
  get nextSeq(): number {
    return this.#sendSeq;
  }

  /**
   * Writes raw bytes.
   *
   * @param bytes Anything.
   * @returns False when the connection was already closed (the write failed).
   */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      let off = 0;
      while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs the real handshake with `key`, by hand.
   *
   * @param options Key and role.
   * @throws {HandshakeRefusedError} when the controller rejects or closes.
   */
  async handshake(options: RawHandshakeOptions): Promise<void> {
    const key = decodeKey(options.key);
    const cnonce = generateNonce();
    await this.write(encodeFrame(encodeValue({
      type: "hello",
      role: options.role ?? "client",
      ipxVersion: IPX_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      nonce: cnonce,
    })));
    const welcome = await this.#handshakeMessage();
    if (welcome.type !== "welcome" || !(welcome.nonce instanceof Uint8Array)) {
      throw new HandshakeRefusedError(String(welcome.reason), String(welcome.message));
    }
    const snonce = welcome.nonce;
    await this.write(encodeFrame(encodeValue({
      type: "auth",
      proof: await handshakeProof(key, "client", cnonce, snonce),
    })));
    const ready = await this.#handshakeMessage();
    if (ready.type !== "ready") {
      throw new HandshakeRefusedError(String(ready.reason), String(ready.message));
    }
    this.#keys = await deriveSessionKeys(key, cnonce, snonce);
    this.#verifier = new FrameVerifier(this.#keys.serverToClient);
    // over TLS the controller skips per-frame MACs (TLS authenticates every byte)
    this.#frameMac = welcome.frameMac !== false;
  }

  /** Whether frames carry a MAC on this connection (false over TLS). */
  get framesSigned(): boolean {
    return this.#frameMac;
  }

  async #handshakeMessage(): Promise<Record<string, unknown>> {
    let frame: Uint8Array | null;
    try {
      frame = await this.#framed.readFrame();
    } catch (error) {
      throw new HandshakeRefusedError("closed", String(error), { cause: error });
    }
    if (frame === null) throw new HandshakeRefusedError("closed", "the connection was closed");
    return decodeValue(frame) as Record<string, unknown>;
  }

  /**
   * Builds a frame `header ‖ MAC ‖ body` signed with the session key for sequence number
   * `seq` (by default the next one, which is then consumed).
   *
   * @param body The frame body (normally a msgpack array of messages).
   * @param seq Sequence number to sign with; omitted = next, and advance.
   * @returns The complete frame bytes.
   */
  signFrame(body: Uint8Array, seq?: number): Uint8Array {
    const n = seq ?? this.#sendSeq++;
    if (!this.#frameMac) {
      const plain = new Uint8Array(FRAME_HEADER_BYTES + body.length);
      writeFrameHeader(plain, 0, body.length);
      plain.set(body, FRAME_HEADER_BYTES);
      return plain;
    }
    const mac = frameMac(this.keys.clientToServer, n, body);
    const frame = new Uint8Array(FRAME_HEADER_BYTES + MAC_BYTES + body.length);
    writeFrameHeader(frame, 0, MAC_BYTES + body.length);
    frame.set(mac, FRAME_HEADER_BYTES);
    frame.set(body, FRAME_HEADER_BYTES + MAC_BYTES);
    return frame;
  }

  /**
   * Encodes messages as one batch, signs it as the next frame and sends it.
   *
   * @param messages The batch.
   * @returns The frame as written (for replay).
   */
  async send(messages: unknown[]): Promise<Uint8Array> {
    const frame = this.signFrame(encodeValue(messages));
    await this.write(frame);
    return frame;
  }

  /**
   * Reads the next batch from the controller, verifying its MAC.
   *
   * @returns The messages, or null once the controller closed the connection.
   */
  async receive(): Promise<Record<string, unknown>[] | null> {
    if (!this.#verifier) throw new TypeError("Cannot receive before the handshake");
    let frame: Uint8Array | null;
    try {
      frame = await this.#framed.readFrame();
    } catch {
      return null;
    }
    if (frame === null) return null;
    return decodeValue(this.#frameMac ? this.#verifier.open(frame) : frame) as Record<
      string,
      unknown
    >[];
  }

  /**
   * Reads batches until a message satisfies `match`.
   *
   * @param match Predicate on one message.
   * @returns The message, or null if the connection closed first.
   */
  async receiveUntil(
    match: (msg: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown> | null> {
    for (;;) {
      const batch = await this.receive();
      if (batch === null) return null;
      const found = batch.find(match);
      if (found) return found;
    }
  }

  /**
   * Reads and discards until the other side ends the stream.
   *
   * @param since `performance.now()` to measure from. @default now
   * @param withinMs Fails if the stream has not ended after this long. @default 15000
   * @returns How long it took and the read error, if it ended with one.
   * @throws {Error} when the other side keeps the connection open past `withinMs`.
   */
  async waitClosed(since = performance.now(), withinMs = 15_000): Promise<ClosedBy> {
    const buf = new Uint8Array(64 * 1024);
    const timer = setTimeout(() => {
      this.#stalled = true;
      this.close();
    }, withinMs);
    try {
      for (;;) {
        try {
          if (await this.#conn.read(buf) === null) break;
        } catch (error) {
          if (this.#stalled) break;
          return { ms: performance.now() - since, error };
        }
      }
    } finally {
      clearTimeout(timer);
    }
    if (this.#stalled) {
      throw new Error(`The controller did not close the connection within ${withinMs} ms`);
    }
    return { ms: performance.now() - since };
  }

  /** Ends the sending direction (FIN), keeping the receiving one open. */
  async closeWrite(): Promise<void> {
    await (this.#conn as Deno.Conn).closeWrite();
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#framed.close();
  }

  /** Closes the connection. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
