/**
 * Listeners of the controller: accepts TCP or TLS connections, and local ones on a Unix socket
 * (see `lib/protocol/unix_socket.ts`), and hands them to {@linkcode Controller.accept}. TLS uses
 * `node:tls` so Nagle's algorithm can be turned off (see `lib/protocol/node_tls_server.ts`).
 *
 * @module
 */

import { ConnectionError } from "../protocol/errors.ts";
import { listenNodeTls } from "../protocol/node_tls_server.ts";
import type { ByteConn } from "../protocol/transport.ts";
import { listenUnix, type UnixListener } from "../protocol/unix_socket.ts";
import type { Controller } from "./controller.ts";
import type { Logger } from "./log.ts";

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  /** Address to bind. */
  hostname: string;
  /** Port to bind; 0 picks a free one. */
  port: number;
  /** TLS certificate and key (PEM); plain TCP when omitted. */
  tls?: { certPem: string; keyPem: string };
  /**
   * Also listen on this Unix socket for peers on this machine: a path, or a function of the
   * bound port giving one (undefined: no socket).
   */
  unixPath?: string | ((port: number) => string | undefined | Promise<string | undefined>);
  /** Log sink. */
  log?: Logger;
}

/** A running listener. */
export interface Server extends AsyncDisposable {
  /** Bound address. */
  hostname: string;
  /** Bound port. */
  port: number;
  /** The Unix socket listened on, if any. */
  unixPath?: string;
  /** Stops accepting (removing the Unix socket) and waits for the accept loops to end. */
  close(): Promise<void>;
}

function bindError(error: unknown, where: string): ConnectionError {
  const code = (error as { code?: string }).code;
  if (error instanceof Deno.errors.AddrInUse || code === "EADDRINUSE") {
    return new ConnectionError(
      `Cannot listen on ${where}: the port is in use (another controller, or another ` +
        `program); pick another --port, or stop the other process`,
      { cause: error, address: where },
    );
  }
  // node:net reports an address of no interface as EINVAL, Deno's own listeners as
  // AddrNotAvailable
  if (
    error instanceof Deno.errors.AddrNotAvailable || code === "EADDRNOTAVAIL" ||
    code === "EINVAL"
  ) {
    return new ConnectionError(
      `Cannot listen on ${where}: this machine has no such address (${
        (error as Error).message
      }); use --ip with one of its addresses, or 0.0.0.0 for all`,
      { cause: error, address: where },
    );
  }
  return new ConnectionError(`Cannot listen on ${where}: ${(error as Error).message}`, {
    cause: error,
    address: where,
  });
}

/** How the TLS server reports a peer whose first bytes are not a TLS record. */
const PLAIN_PEER = /wrong version number|InvalidContentType|http request|unknown protocol/i;

/**
 * Binds and starts accepting. Throws {@linkcode ConnectionError} with a hint when the port is
 * in use or the address cannot be bound.
 *
 * @param controller The controller to hand connections to.
 * @param options Where to listen, and TLS material.
 */
export async function serve(controller: Controller, options: ServeOptions): Promise<Server> {
  const where = `${options.hostname}:${options.port}`;
  let accept: () => Promise<{ conn: ByteConn; peer: string } | null>;
  let stop: () => void;
  let hostname: string;
  let port: number;
  if (options.tls) {
    let listener;
    try {
      listener = await listenNodeTls({
        hostname: options.hostname,
        port: options.port,
        certPem: options.tls.certPem,
        keyPem: options.tls.keyPem,
        onTlsError: (peer, error) =>
          controller.rejected(
            peer,
            `TLS handshake failed: ${error.message}` +
              (PLAIN_PEER.test(error.message)
                ? `; the peer does not speak TLS: probably a client or engine whose connection ` +
                  `file says "transport": "tcp" (give it a fresh one from this controller's ` +
                  `security dir)`
                : ""),
          ),
      });
    } catch (error) {
      throw bindError(error, where);
    }
    hostname = listener.hostname;
    port = listener.port;
    accept = async () => {
      const c = await listener.accept();
      return c ? { conn: c, peer: c.peer } : null;
    };
    stop = () => listener.close();
  } else {
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen({ hostname: options.hostname, port: options.port });
    } catch (error) {
      throw bindError(error, where);
    }
    const addr = listener.addr;
    hostname = addr.hostname;
    port = addr.port;
    accept = async () => {
      for (;;) {
        try {
          const conn = await listener.accept();
          conn.setNoDelay(true);
          return { conn, peer: `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}` };
        } catch (error) {
          if (
            error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted
          ) return null;
          options.log?.("warn", `accept failed: ${(error as Error).message}`);
        }
      }
    };
    stop = () => {
      try {
        listener.close();
      } catch { /* closed */ }
    };
  }
  let unix: UnixListener | undefined;
  const unixPath = typeof options.unixPath === "function"
    ? await options.unixPath(port)
    : options.unixPath;
  if (unixPath) {
    try {
      unix = listenUnix(
        unixPath,
        (error) => options.log?.("warn", `accept on the local socket failed: ${error.message}`),
      );
    } catch (error) {
      // the network address serves everyone; the socket is only a faster path
      options.log?.(
        "warn",
        `no local socket: cannot listen on ${unixPath} (${(error as Error).message}); ` +
          `engines and clients on this machine use ${hostname}:${port} instead (remove that ` +
          `file to get the faster local path back)`,
      );
    }
  }
  const loops = [(async () => {
    for (;;) {
      const next = await accept();
      if (!next) return;
      void controller.accept(next.conn, next.peer);
    }
  })()];
  if (unix) {
    const listener = unix;
    loops.push((async () => {
      for (;;) {
        const conn = await listener.accept();
        if (!conn) return;
        void controller.accept(conn, "the local socket");
      }
    })());
  }
  const close = async () => {
    stop();
    unix?.close();
    await Promise.all(loops);
  };
  return {
    hostname,
    port,
    ...(unix ? { unixPath: unix.path } : {}),
    close,
    [Symbol.asyncDispose]: close,
  };
}
