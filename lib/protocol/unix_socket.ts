/**
 * The local transport: a Unix domain socket in the profile's owner-only `security/` directory.
 * Engines and clients on the controller's machine connect through it instead of TCP/TLS.
 *
 * Why: on loopback a TCP write costs ~18 µs and a TLS one (through `node:tls`) ~90 µs here, a
 * Unix-socket write ~4 µs, and bulk data need not be encrypted twice on its way through the
 * controller. Security stays equal: the kernel carries the bytes between two processes, so no
 * one on the network can read or alter them; the directory (0700) and the socket (0600) let
 * only this user connect (that user can read the key file anyway); and the key handshake still
 * runs, so a peer without the key is refused. Connections are therefore marked
 * {@linkcode ByteConn.local} and, like TLS ones, carry no per-frame MAC.
 *
 * @module
 */

import type { ConnectionInfo } from "./connection_file.ts";
import type { ByteConn } from "./transport.ts";

/**
 * Longest socket path this system accepts: `sun_path` holds 108 bytes on Linux and 104 on the
 * BSDs and macOS, the terminating NUL included.
 */
export const UNIX_PATH_MAX_BYTES = Deno.build.os === "linux" ? 107 : 103;

/** The connection-file fields a local socket's name stands for. */
export type SocketIdentity = Pick<
  ConnectionInfo,
  "host" | "port" | "transport" | "tlsCaPem" | "key"
>;

/**
 * The file name of a controller's local socket: `ipx-` and 16 hex digits of a hash of the
 * address, transport, CA and key the connection file holds. A peer uses a file's `ipcPath` only
 * when its name matches the rest of that file, so a file with another port, host, CA or key (a
 * copy edited by hand, a stale one) never reaches a local controller through the socket: it
 * goes to that address and gets exactly the answer it would get without the socket (refused, a
 * TLS pin failure, a wrong-key refusal logged with its address). The name reveals nothing of the
 * key (64 bits of SHA-256 over it and more) and lies in the same owner-only directory as the key
 * file.
 *
 * @param info Address, transport and CA of the controller.
 * @returns The socket's file name (no directory).
 */
export async function socketName(info: SocketIdentity): Promise<string> {
  const text = `${info.transport}\n${info.host}\n${info.port}\n${info.key}\n${
    info.tlsCaPem?.trim() ?? ""
  }`;
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return `ipx-${hash.subarray(0, 8).toHex()}.sock`;
}

/**
 * Whether a connection file's `ipcPath` belongs to the controller the rest of the file names
 * (see {@linkcode socketName}).
 *
 * @param info The connection file's fields.
 */
export async function socketMatches(
  info: SocketIdentity & { ipcPath?: string },
): Promise<boolean> {
  return info.ipcPath !== undefined &&
    info.ipcPath.slice(info.ipcPath.lastIndexOf("/") + 1) === await socketName(info);
}

/** Socket files of earlier runs in `dir` (names from {@linkcode socketName}). */
const SOCKET_FILE = /^ipx-[0-9a-f]{16}\.sock$/;

/**
 * Removes socket files that earlier controllers of a profile left in `dir` (killed before they
 * could remove them). Only sockets with ipx's names are touched. Call it under the profile's
 * pid lock.
 *
 * @param dir The profile's security directory.
 */
export function removeStaleSockets(dir: string): void {
  for (const entry of Deno.readDirSync(dir)) {
    if (!SOCKET_FILE.test(entry.name)) continue;
    try {
      if (Deno.lstatSync(`${dir}/${entry.name}`).isSocket) Deno.removeSync(`${dir}/${entry.name}`);
    } catch {
      // gone already
    }
  }
}

/** A Unix-socket connection, marked as local (see the module doc). */
export class UnixByteConn implements ByteConn {
  /** Only this user's processes on this machine can be at either end. */
  readonly local = true;
  #conn: Deno.UnixConn;

  /** @param conn An accepted or dialled Unix connection. */
  constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
  }

  /** @inheritdoc */
  read(p: Uint8Array): Promise<number | null> {
    return this.#conn.read(p);
  }

  /** @inheritdoc */
  write(p: Uint8Array): Promise<number> {
    return this.#conn.write(p);
  }

  /** @inheritdoc */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Whether `path` fits in a Unix socket address.
 *
 * @param path An absolute path.
 */
export function unixPathFits(path: string): boolean {
  return new TextEncoder().encode(path).length <= UNIX_PATH_MAX_BYTES;
}

/** A listening Unix socket. */
export interface UnixListener {
  /** The socket's path. */
  path: string;
  /** The next connection, or null once closed. */
  accept(): Promise<UnixByteConn | null>;
  /** Stops listening and removes the socket file. */
  close(): void;
}

/**
 * Listens on a Unix socket with mode 0600. A socket file left by a controller that died is
 * replaced; any other kind of file at `path` is an error (it is not ours to delete).
 *
 * @param path Absolute path of the socket; its directory must exist.
 * @param onError Called when an accept fails for a reason other than closing.
 * @returns The listener.
 * @throws {Error} when `path` is not a socket, too long, or cannot be bound.
 */
export function listenUnix(path: string, onError?: (error: Error) => void): UnixListener {
  if (!unixPathFits(path)) {
    throw new Error(`the path ${path} is longer than ${UNIX_PATH_MAX_BYTES} bytes`);
  }
  try {
    const info = Deno.lstatSync(path);
    if (!info.isSocket) throw new Error(`${path} exists and is not a socket`);
    Deno.removeSync(path); // left by a controller that died; the pid lock says none runs now
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const listener = Deno.listen({ transport: "unix", path });
  Deno.chmodSync(path, 0o600);
  let closed = false;
  return {
    path,
    async accept() {
      for (;;) {
        try {
          return new UnixByteConn(await listener.accept());
        } catch (error) {
          if (closed || error instanceof Deno.errors.BadResource) return null;
          if (error instanceof Deno.errors.Interrupted) return null;
          onError?.(error as Error);
        }
      }
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
      try {
        Deno.removeSync(path);
      } catch {
        // gone already
      }
    },
  };
}

/**
 * Whether this process may connect to the socket at `path` without asking: Deno needs read,
 * write and net (`unix:<path>`) permission for it. Checked first so a client run with narrower
 * permissions falls back to TCP quietly instead of prompting at a terminal.
 *
 * @param path The socket's path.
 */
export function unixSocketAllowed(path: string): boolean {
  const descriptors: Deno.PermissionDescriptor[] = [
    { name: "read", path },
    { name: "write", path },
    { name: "net", host: `unix:${path}` },
  ];
  try {
    return descriptors.every((d) => Deno.permissions.querySync(d).state === "granted");
  } catch {
    return false;
  }
}

/**
 * Connects to a Unix socket.
 *
 * @param path The socket's path.
 * @returns The connection.
 * @throws whatever `Deno.connect` throws (`NotFound`, `ConnectionRefused`, `NotCapable`…).
 */
export async function connectUnix(path: string): Promise<UnixByteConn> {
  return new UnixByteConn(await Deno.connect({ transport: "unix", path }));
}
