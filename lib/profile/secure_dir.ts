/**
 * A guard for directories that hold secrets (connection files, TLS keys).
 *
 * @module
 */

import { IpxError } from "../protocol/errors.ts";

/** A directory meant for secrets is missing, not a directory, or open to other users. */
export class InsecureDirError extends IpxError {
  /** The directory concerned. */
  readonly path: string;
  /**
   * @param message What is wrong and how to fix it.
   * @param options The directory and the `cause`.
   */
  constructor(message: string, options: ErrorOptions & { path: string }) {
    super(message, { cause: options.cause });
    this.path = options.path;
  }
}

/**
 * Refuses a security directory that other users could tamper with.
 *
 * @param path The directory to check.
 * @throws {InsecureDirError} when it is missing, not a directory, or world-writable.
 * @example Usage
 * ```ts ignore
 * await assertSecureDir("/home/me/.ipx/profile_default/security");
 * ```
 */
export async function assertSecureDir(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new InsecureDirError(
      `Cannot use security directory ${path}: ${
        error instanceof Error ? error.message : String(error)
      }; create the profile with \`ipx profile create\``,
      { path, cause: error },
    );
  }
  if (!info.isDirectory) {
    throw new InsecureDirError(
      `Cannot use security directory ${path}: it is not a directory; remove it and run ` +
        "`ipx profile create` again",
      { path },
    );
  }
  const mode = info.mode;
  if (mode !== null && (mode & 0o002) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(3, "0");
    throw new InsecureDirError(
      `Refusing to use security directory ${path}: it is world-writable (mode ${octal}), so ` +
        `other users could replace its connection files; run \`chmod 700 ${path}\` and retry`,
      { path },
    );
  }
}
