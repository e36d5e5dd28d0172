/**
 * Opening a connection to the controller described by a connection file: its local Unix
 * socket when this machine can reach it, else plain TCP or TLS pinned to the file's CA, with a
 * bounded time and an error that says what to check.
 *
 * @module
 */

import type { ConnectionInfo } from "./connection_file.ts";
import { ConnectionError } from "./errors.ts";
import { isLoopback } from "./loopback.ts";
import { connectTlsPinned } from "./tls.ts";
import { checkCaFingerprint, type PinSource } from "./tls_pins.ts";
import type { ByteConn } from "./transport.ts";
import { connectUnix, socketMatches, unixSocketAllowed } from "./unix_socket.ts";

/** Options of {@linkcode dial}. */
export interface DialOptions {
  /** Bound on connecting (TCP + TLS). @default 5000 */
  timeoutMs?: number;
  /** The connection file, named in errors. */
  source?: string;
  /** Aborts the attempt. */
  signal?: AbortSignal;
  /** Ignore the file's Unix socket and use `host:port`. @default false */
  noIpc?: boolean;
}

/**
 * Connects to the controller: through its Unix socket (`ipcPath`) when that works from here and
 * the socket's name matches the file's address, transport and CA (see `socketName`), else to
 * `host:port` over TCP or TLS. A socket that cannot be used (another machine, a stale or edited
 * file, no permission) is skipped silently; errors name the network address.
 *
 * A TLS file's pins are enforced whichever way it connects: its CA fingerprint must match its CA
 * certificate (checked first, so an edited file is refused before any route is tried), and over
 * TLS the controller must present the certificate the file pins.
 *
 * @param info Address, transport, CA, pins and socket from the connection file; `role` names
 *   the file to copy afresh in errors.
 * @param options Timeout, the file name for messages, and `noIpc`.
 * @returns The byte stream (`local` when it is the Unix socket).
 * @throws {TlsPinError} when a pin does not match; {@linkcode ConnectionError} (or its
 *   `TlsError` subclass) when no connection could be made.
 */
export async function dial(
  info:
    & Pick<
      ConnectionInfo,
      | "transport"
      | "host"
      | "port"
      | "tlsCaPem"
      | "tlsFingerprint"
      | "tlsCertFingerprint"
      | "profile"
      | "ipcPath"
      | "key"
    >
    & Partial<Pick<ConnectionInfo, "role">>,
  options: DialOptions = {},
): Promise<ByteConn> {
  const pinSource: PinSource = {
    source: options.source ?? "the connection file",
    fileName: info.role === undefined ? "connection file" : `ipx-${info.role}.json`,
  };
  if (info.transport === "tls") {
    if (!info.tlsCaPem) {
      throw new ConnectionError(
        `Cannot connect with TLS: ${pinSource.source} has no CA certificate ("tlsCaPem"), and ` +
          `a fingerprint alone cannot be pinned; copy a fresh ${pinSource.fileName} from the ` +
          "controller's profile security dir (`ipx controller` prints its path when it starts)",
        { address: `${info.host}:${info.port}` },
      );
    }
    if (info.tlsFingerprint !== undefined) {
      await checkCaFingerprint(info.tlsCaPem, info.tlsFingerprint, pinSource);
    }
  }
  if (
    info.ipcPath && !options.noIpc && unixSocketAllowed(info.ipcPath) && await socketMatches(info)
  ) {
    options.signal?.throwIfAborted();
    try {
      return await connectUnix(info.ipcPath);
    } catch {
      // not reachable from here: use the network address
    }
  }
  const address = `${info.host}:${info.port}`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const source = options.source ?? "the connection file";
  const failed = (error: unknown, why: string) => {
    const hint = unresolved(error)
      ? `this machine cannot resolve the name ${info.host}: use a name or address it can ` +
        `(start the controller with \`--location <name or address>\` and copy its file again, ` +
        `or edit "host" in ${source})`
      : `is the controller running (\`ipx controller --profile ${info.profile}\`), and is ` +
        `${source} current?` + (isLoopback(info.host) ? loopbackHint(info.host) : "");
    return new ConnectionError(`Cannot connect to the controller at ${address} (${why}): ${hint}`, {
      cause: error,
      address,
    });
  };
  if (info.transport === "tls" && info.tlsCaPem) {
    try {
      return await connectTlsPinned({
        hostname: info.host,
        port: info.port,
        caPem: info.tlsCaPem,
        ...(info.tlsCertFingerprint !== undefined
          ? { leafFingerprint: info.tlsCertFingerprint }
          : {}),
        pinSource,
        timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (error instanceof ConnectionError && error.name === "ConnectionError") {
        // the TCP connect failed (TLS failures and timeouts are TlsErrors, which say it all)
        throw failed(error.cause ?? error, reasonOf(error.cause ?? error));
      }
      throw error;
    }
  }
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  try {
    const conn = await Deno.connect({ hostname: info.host, port: info.port, signal });
    conn.setNoDelay(true);
    return conn;
  } catch (error) {
    throw failed(error, deadline.aborted ? `no answer within ${timeoutMs} ms` : reasonOf(error));
  }
}

/**
 * The second hint of a file naming a loopback address: it works only on the controller's own
 * machine, which is easy to miss when the file was copied elsewhere.
 */
function loopbackHint(host: string): string {
  return ` (if the controller runs on another machine: this file names ${host}, a loopback ` +
    "address, so it came from a controller listening only on its own machine; start that one " +
    "with `--ip 0.0.0.0 --location <its name or address>` and copy its file again)";
}

/** Whether a connect failed because the host name does not resolve. */
function unresolved(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return true;
  return /failed to lookup address|Name or service not known|nodename nor servname/i.test(
    error instanceof Error ? error.message : String(error),
  );
}

/** What went wrong with a TCP connect, in a few words. */
function reasonOf(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (unresolved(error)) return "unknown host name";
  return error instanceof Error ? error.message : String(error);
}
