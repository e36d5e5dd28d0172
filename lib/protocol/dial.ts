/**
 * Opening a connection to the controller described by a connection file: plain TCP or TLS
 * pinned to the file's CA, with a bounded time and an error that says what to check.
 *
 * @module
 */

import type { ConnectionInfo } from "./connection_file.ts";
import { ConnectionError } from "./errors.ts";
import { connectTlsPinned } from "./tls.ts";
import type { ByteConn } from "./transport.ts";

/** Options of {@linkcode dial}. */
export interface DialOptions {
  /** Bound on connecting (TCP + TLS). @default 5000 */
  timeoutMs?: number;
  /** The connection file, named in errors. */
  source?: string;
  /** Aborts the attempt. */
  signal?: AbortSignal;
}

/**
 * Connects to the controller.
 *
 * @param info Address, transport and CA from the connection file.
 * @param options Timeout and the file name for messages.
 * @returns The byte stream.
 */
export async function dial(
  info: Pick<
    ConnectionInfo,
    "transport" | "host" | "port" | "tlsCaPem" | "tlsCertFingerprint" | "profile"
  >,
  options: DialOptions = {},
): Promise<ByteConn> {
  const address = `${info.host}:${info.port}`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const hint = `is the controller running (\`ipx controller --profile ${info.profile}\`), and is ` +
    `${options.source ?? "the connection file"} current?`;
  if (info.transport === "tls") {
    if (!info.tlsCaPem) {
      throw new ConnectionError(
        `Cannot connect with TLS: ${options.source ?? "the connection file"} has no CA ` +
          `certificate; copy a fresh connection file from the controller`,
        { address },
      );
    }
    try {
      return await connectTlsPinned({
        hostname: info.host,
        port: info.port,
        caPem: info.tlsCaPem,
        ...(info.tlsCertFingerprint ? { leafFingerprint: info.tlsCertFingerprint } : {}),
        timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (error instanceof ConnectionError && error.name === "ConnectionError") {
        throw new ConnectionError(`Cannot connect to the controller at ${address}: ${hint}`, {
          cause: error,
          address,
        });
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
    const why = deadline.aborted
      ? `no answer within ${timeoutMs} ms`
      : error instanceof Deno.errors.ConnectionRefused
      ? "connection refused"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new ConnectionError(`Cannot connect to the controller at ${address} (${why}): ${hint}`, {
      cause: error,
      address,
    });
  }
}
