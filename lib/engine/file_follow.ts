/**
 * When an engine process must give way to a new one: its connection file was rewritten by a
 * controller restarted with a new key, or on an address this process holds no permission to
 * reach (Deno permissions are fixed when a process starts, and an engine's `--allow-net` names
 * only the controller it was started for). Retrying could never succeed then; the engine stops
 * with exit code 5 and its supervisor starts a replacement, whose permissions and key come from
 * the file as it is now.
 *
 * @module
 */

import type { ConnectionInfo } from "../protocol/connection_file.ts";
import { ConnectionError } from "../protocol/errors.ts";

/** Exit code of an engine process that stops to follow its rewritten connection file. */
export const EXIT_FILE_CHANGED = 5;

/**
 * The engine's connection file now names a controller this process cannot connect to: another
 * key, or an address outside its permissions. Its supervisor replaces it.
 */
export class ConnectionFileChangedError extends ConnectionError {}

/**
 * Why an engine process started with `started` cannot connect with `now`, or `undefined` when it
 * can (the same key, and an address it may reach).
 *
 * @param started The connection file as the process read it when it started.
 * @param now The file as it is now.
 * @param mayReach Whether this process may connect to `host:port` (defaults to asking Deno's
 *   permissions; injectable for tests).
 * @returns E.g. `it holds a new key`, `it names 127.0.0.1:4000`.
 */
export function followReason(
  started: Pick<ConnectionInfo, "key" | "host" | "port">,
  now: Pick<ConnectionInfo, "key" | "host" | "port">,
  mayReach: (host: string, port: number) => boolean = netGranted,
): string | undefined {
  const why: string[] = [];
  if (now.key !== started.key) why.push("holds a new key");
  // asked even for the address it started with: the file may have changed between the
  // supervisor's read (which set the permissions) and this process's
  if (!mayReach(now.host, now.port)) {
    why.push(
      `names the address ${now.host}:${now.port}, which this engine process may not reach ` +
        `(its network permission was set from the file as it was when it started)`,
    );
  }
  return why.length ? why.join(" and ") : undefined;
}

function netGranted(host: string, port: number): boolean {
  const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  try {
    return Deno.permissions.querySync({ name: "net", host: `${h}:${port}` }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * Checks the connection file read for a connect attempt, and refuses it when this engine process
 * must be replaced.
 *
 * @param started The file as the process read it at start.
 * @param now The file as it is now.
 * @param file Its path, for the message.
 * @returns `now`, when this process can use it.
 * @throws {ConnectionFileChangedError} when it cannot (see {@linkcode followReason}).
 */
export function assertCanFollow<T extends Pick<ConnectionInfo, "key" | "host" | "port">>(
  started: Pick<ConnectionInfo, "key" | "host" | "port">,
  now: T,
  file: string,
): T {
  const why = followReason(started, now);
  if (why === undefined) return now;
  throw new ConnectionFileChangedError(
    `the connection file ${file} was rewritten (a controller restarted): it ${why}; this engine ` +
      `process stops (exit code ${EXIT_FILE_CHANGED}) so that its supervisor starts a new one ` +
      `from the file as it is now (this engine's namespace is lost)`,
    { address: `${now.host}:${now.port}` },
  );
}
