/**
 * A TLS listener built on `node:tls`, used by the controller instead of `Deno.listenTls`
 * because Deno's TLS server connections cannot turn off Nagle's algorithm: with it on, two
 * small frames written in quick succession wait for the peer's delayed ACK (~40 ms per
 * exchange). `node:tls` sockets accept `setNoDelay(true)`.
 *
 * @module
 */

import tls from "node:tls";
import { ConnectionError } from "./errors.ts";
import type { ByteConn } from "./transport.ts";

/** An accepted TLS connection. */
export interface AcceptedConn extends ByteConn {
  /** `host:port` of the peer. */
  peer: string;
}

/** Options of {@linkcode listenNodeTls}. */
export interface NodeTlsListenOptions {
  hostname: string;
  port: number;
  certPem: string;
  keyPem: string;
  /** TLS handshake must finish within this. @default 2000 */
  handshakeTimeoutMs?: number;
  /** Told about connections that failed the TLS handshake. */
  onTlsError?: (peer: string, error: Error) => void;
}

/** A TLS listener. */
export interface NodeTlsListener {
  /** Bound address. */
  hostname: string;
  /** Bound port. */
  port: number;
  /** Next accepted (TLS-established) connection; null once closed. */
  accept(): Promise<AcceptedConn | null>;
  /** Stops listening. */
  close(): void;
}

const HIGH_WATER = 4 * 1024 * 1024;

/**
 * `host:port` of a TLS socket's peer. A socket that failed its handshake early (e.g. a plain-TCP
 * client) has no address of its own yet; the TCP socket underneath has it.
 */
function peerOf(socket: tls.TLSSocket): string {
  const raw = (socket as unknown as { _parent?: { remoteAddress?: string; remotePort?: number } })
    ._parent;
  const host = socket.remoteAddress ?? raw?.remoteAddress;
  const port = socket.remotePort ?? raw?.remotePort;
  return host === undefined ? "an unknown address" : `${host}:${port}`;
}

class SocketConn implements AcceptedConn {
  #s: tls.TLSSocket;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  peer: string;
  /** Every byte is encrypted and integrity-protected by TLS. */
  readonly encrypted = true;

  constructor(s: tls.TLSSocket) {
    this.#s = s;
    this.peer = peerOf(s);
    s.setNoDelay(true);
    s.on("data", (d: Uint8Array) => {
      this.#chunks.push(d);
      this.#buffered += d.length;
      if (this.#buffered > HIGH_WATER) s.pause();
      this.#notify();
    });
    s.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    s.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    s.on("error", (e: Error) => {
      this.#error = e;
      this.#ended = true;
      this.#notify();
    });
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#ended) {
        if (this.#error) throw this.#error;
        return null;
      }
      await new Promise<void>((r) => this.#wake = r);
    }
    const head = this.#chunks[0]!;
    const n = Math.min(head.length, p.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#chunks.shift();
    else this.#chunks[0] = head.subarray(n);
    this.#buffered -= n;
    if (this.#buffered < HIGH_WATER / 2 && this.#s.isPaused()) this.#s.resume();
    return n;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#s.destroyed) {
      return Promise.reject(new ConnectionError("Cannot write: connection closed"));
    }
    // node keeps a reference to `p` until it is written: callers hand it over (see ByteConn)
    const ok = this.#s.write(p);
    if (ok) return Promise.resolve(p.length);
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        this.#s.off("close", onClose);
        resolve(p.length);
      };
      const onClose = () => {
        this.#s.off("drain", onDrain);
        reject(new ConnectionError("Connection closed while writing"));
      };
      this.#s.once("drain", onDrain);
      this.#s.once("close", onClose);
    });
  }

  close(): void {
    this.#ended = true;
    this.#s.destroy();
    this.#notify();
  }
}

/**
 * Starts a TLS listener with Nagle off on every connection.
 *
 * @param o Address, certificate and key.
 */
export async function listenNodeTls(o: NodeTlsListenOptions): Promise<NodeTlsListener> {
  const queue: AcceptedConn[] = [];
  let waiter: ((c: AcceptedConn | null) => void) | undefined;
  let closed = false;
  const server = tls.createServer({
    key: o.keyPem,
    cert: o.certPem,
    minVersion: "TLSv1.2",
    handshakeTimeout: o.handshakeTimeoutMs ?? 2000,
  }, (socket) => {
    const conn = new SocketConn(socket);
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(conn);
    } else queue.push(conn);
  });
  server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
    o.onTlsError?.(peerOf(socket), error);
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as { address: string; port: number };
  return {
    hostname: addr.address,
    port: addr.port,
    accept() {
      if (queue.length) return Promise.resolve(queue.shift()!);
      if (closed) return Promise.resolve(null);
      return new Promise((r) => waiter = r);
    },
    close() {
      if (closed) return;
      closed = true;
      server.close();
      for (const c of queue.splice(0)) c.close();
      waiter?.(null);
    },
  };
}
