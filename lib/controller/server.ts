/**
 * Network listener of the controller: accepts TCP or TLS connections and hands them to
 * {@linkcode Controller.accept}.
 *
 * @module
 */

import { ConnectionError } from "../protocol/errors.ts";
import { completeHandshake, listenTls } from "../protocol/tls.ts";
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
  /** Log sink. */
  log?: Logger;
}

/** A running listener. */
export interface Server extends AsyncDisposable {
  /** Bound address. */
  hostname: string;
  /** Bound port. */
  port: number;
  /** Stops accepting and waits for the accept loop to end. */
  close(): Promise<void>;
}

/**
 * Binds and starts accepting. Throws {@linkcode ConnectionError} with a hint when the port is
 * in use or the address cannot be bound.
 *
 * @param controller The controller to hand connections to.
 * @param options Where to listen, and TLS material.
 */
export function serve(controller: Controller, options: ServeOptions): Server {
  let listener: Deno.Listener;
  const where = `${options.hostname}:${options.port}`;
  try {
    listener = options.tls
      ? listenTls({
        hostname: options.hostname,
        port: options.port,
        certPem: options.tls.certPem,
        keyPem: options.tls.keyPem,
      })
      : Deno.listen({ hostname: options.hostname, port: options.port });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new ConnectionError(
        `Cannot listen on ${where}: the port is in use (another controller, or another ` +
          `program); pick another --port, or stop the other process`,
        { cause: error, address: where },
      );
    }
    if (error instanceof Deno.errors.AddrNotAvailable) {
      throw new ConnectionError(
        `Cannot listen on ${where}: this machine has no such address; use --ip with one of ` +
          `its addresses, or 0.0.0.0 for all`,
        { cause: error, address: where },
      );
    }
    throw new ConnectionError(`Cannot listen on ${where}: ${(error as Error).message}`, {
      cause: error,
      address: where,
    });
  }
  const addr = listener.addr as Deno.NetAddr;
  const conns = new Set<Deno.Conn>();
  const loop = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
          return;
        }
        options.log?.("warn", `accept failed: ${(error as Error).message}`);
        continue;
      }
      const remote = conn.remoteAddr as Deno.NetAddr;
      const peer = `${remote.hostname}:${remote.port}`;
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      conns.add(conn);
      const serveOne = async () => {
        if (options.tls) {
          try {
            await completeHandshake(conn as Deno.TlsConn, {
              role: "server",
              timeoutMs: 2000,
              address: peer,
            });
          } catch (error) {
            options.log?.("warn", `rejected connection from ${peer}: ${(error as Error).message}`);
            try {
              conn.close();
            } catch { /* closed */ }
            return;
          }
        }
        await controller.accept(conn, peer);
      };
      serveOne().finally(() => conns.delete(conn));
    }
  })();
  const close = async () => {
    try {
      listener.close();
    } catch {
      // already closed
    }
    await loop;
  };
  return {
    hostname: addr.hostname,
    port: addr.port,
    close,
    [Symbol.asyncDispose]: close,
  };
}
