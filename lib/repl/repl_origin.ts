/**
 * {@linkcode replOrigin}: what the REPL is connected through, for its start line and its
 * history. A `--file` inside `<ipx dir>/profile_NAME/security/` belongs to profile NAME (the
 * REPL says "profile NAME" and keeps NAME's history); any other file is shown as itself, and
 * the history stays in the `--profile` given (`default` when none). Pure.
 *
 * @module
 */

import { isAbsolute, relative, sep } from "node:path";
import { validateProfileName } from "../profile/mod.ts";

/** Where the REPL's connection comes from. */
export interface ReplOrigin {
  /** The profile whose history the REPL keeps. */
  profile: string;
  /** The connection file to name in the start line; undefined when the profile says it all. */
  file?: string;
}

/**
 * The profile a file lives in: `<base>/profile_NAME/security/<file>` gives NAME.
 *
 * @param file An absolute path.
 * @param base The ipx directory (absolute).
 * @returns The profile name, or undefined for a file anywhere else.
 *
 * @example Usage
 * ```ts
 * import { profileOfFile } from "./repl_origin.ts";
 * profileOfFile("/home/me/.ipx/profile_rp/security/ipx-client.json", "/home/me/.ipx"); // "rp"
 * ```
 */
export function profileOfFile(file: string, base: string): string | undefined {
  const rel = relative(base, file);
  if (rel.startsWith("..") || isAbsolute(rel)) return undefined;
  const parts = rel.split(sep);
  const name = /^profile_(.+)$/.exec(parts[0] ?? "")?.[1];
  if (parts.length !== 3 || parts[1] !== "security" || name === undefined) return undefined;
  try {
    validateProfileName(name);
  } catch {
    return undefined;
  }
  return name;
}

/**
 * What the REPL is connected through.
 *
 * @param profile The `--profile` option (`default` when not given).
 * @param file The `--file` option, absolute, if given.
 * @param base The ipx directory (absolute).
 * @returns The profile for the history and the file to show, if any.
 */
export function replOrigin(profile: string, file: string | undefined, base: string): ReplOrigin {
  if (file === undefined) return { profile };
  const owner = profileOfFile(file, base);
  return owner === undefined ? { profile, file } : { profile: owner };
}
