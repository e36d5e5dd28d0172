/**
 * The byte-stream interface every transport provides (TCP, TLS, in-memory). It is the subset
 * of `Deno.Conn` ipx needs, so Deno connections satisfy it as they are.
 *
 * @module
 */

/** A bidirectional byte stream. */
export interface ByteConn {
  /** Reads into `p`; resolves to the count read, or null at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /**
   * Writes some of `p`; resolves to the count written. The caller hands `p` over: it must not
   * change those bytes afterwards (a transport may still hold them after resolving). ipx's
   * writers only pass arrays made for the write, or user values a request is still carrying.
   */
  write(p: Uint8Array): Promise<number>;
  /** Closes both directions. */
  close(): void;
  /** True for transports that encrypt and integrity-protect every byte (TLS). */
  readonly encrypted?: boolean;
  /**
   * True for Unix-socket connections in an owner-only directory: only this user's processes
   * on this machine can be at either end, and no one else can read or alter the bytes.
   */
  readonly local?: boolean;
}

/**
 * True when the connection is TLS: our `node:tls` server connections say so, and Deno's TLS
 * connections are recognised by their `handshake` method.
 *
 * @param conn A connection.
 */
export function isEncrypted(conn: ByteConn): boolean {
  return conn.encrypted === true ||
    typeof (conn as { handshake?: unknown }).handshake === "function";
}

/**
 * True when nobody but the two peers can read or alter the bytes: TLS, or a local Unix
 * socket. Such connections need no per-frame MAC once the key handshake has run over them.
 *
 * @param conn A connection.
 */
export function isProtected(conn: ByteConn): boolean {
  return conn.local === true || isEncrypted(conn);
}

/**
 * Writes all of `bytes`, looping over partial writes.
 *
 * @param conn The connection.
 * @param bytes What to write.
 */
export async function writeAll(conn: ByteConn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) {
    off += await conn.write(off === 0 ? bytes : bytes.subarray(off));
  }
}
