/**
 * Whether user code on an engine could reach the cluster key: the connection file (key
 * included) must lie outside the engine's data dir and every extra path granted to user code,
 * or any task could read the key (and with it, control the cluster).
 *
 * @module
 */

import { IpxError } from "../protocol/errors.ts";

/**
 * The engines' data dir or an extra `--allow-read`/`--allow-write` path contains the directory
 * of the connection file, so user code could read its key. Nothing was started.
 */
export class KeyReachableError extends IpxError {
  /** The connection file. */
  readonly file: string;
  /** The path given (data dir or extra path) that contains it. */
  readonly path: string;
  /**
   * @param message What happened and what to do.
   * @param details The connection file and the offending path.
   */
  constructor(message: string, details: { file: string; path: string }) {
    super(message);
    this.file = details.file;
    this.path = details.path;
  }
}

/** What {@linkcode assertKeyUnreachable} checks. */
export interface KeyReachOptions {
  /** The engine connection file (it holds the key). */
  file: string;
  /** The engines' data dir. */
  dataDir: string;
  /** Extra paths user code may read. */
  allowRead?: readonly string[];
  /** Extra paths user code may write. */
  allowWrite?: readonly string[];
}

/**
 * A path with symlinks resolved, or as given when it does not exist (yet).
 *
 * @param path Any path.
 * @returns Its real path, or `path`.
 */
export function realOrSelf(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/**
 * Whether `outer` is `inner` or one of its ancestors, both resolved through symlinks.
 *
 * @param outer A directory (e.g. a data dir).
 * @param inner Another path (e.g. the directory of a connection file).
 * @returns True when everything under `inner` is also under `outer`.
 */
export function contains(outer: string, inner: string): boolean {
  const o = realOrSelf(outer).replace(/\/+$/, "");
  const i = realOrSelf(inner);
  return i === o || i.startsWith(`${o}/`);
}

/**
 * Refuses a data dir or extra path that contains the connection file's directory. Symlinks are
 * resolved on both sides, so a link to the security dir is caught too.
 *
 * @param o The connection file, data dir and extra paths.
 * @throws {KeyReachableError} naming the path and what to do.
 */
export function assertKeyUnreachable(o: KeyReachOptions): void {
  const secrets = realOrSelf(o.file.slice(0, o.file.lastIndexOf("/")) || "/");
  const paths: [string, string][] = [
    ["data dir", o.dataDir],
    ...(o.allowRead ?? []).map((p): [string, string] => ["--allow-read path", p]),
    ...(o.allowWrite ?? []).map((p): [string, string] => ["--allow-write path", p]),
  ];
  // a profile's security dir holds the key twice (both connection files) and the TLS keys:
  // nothing in it may be granted; elsewhere, the connection file itself may not be
  const guarded = /\/security$/.test(secrets) ? secrets : realOrSelf(o.file);
  for (const [what, path] of paths) {
    if (contains(path, secrets) || contains(guarded, path)) {
      throw new KeyReachableError(
        `Cannot start engines: user code could reach the connection file ${o.file} (and its ` +
          `key) through the ${what} ${path}; use a data dir and paths that do not contain ` +
          `${secrets}, or keep the connection file elsewhere`,
        { file: o.file, path },
      );
    }
  }
}
