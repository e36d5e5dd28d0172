/**
 * Atomic file replacement: readers see the old file or the new one, never a partial one.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import { IpxError } from "./errors.ts";

/** A file could not be written. */
export class WriteFileError extends IpxError {
  /** The file that was being written. */
  readonly path: string;
  /**
   * @param message What happened and what to do.
   * @param options The file and the `cause`.
   */
  constructor(message: string, options: ErrorOptions & { path: string }) {
    super(message, { cause: options.cause });
    this.path = options.path;
  }
}

/**
 * Writes `data` to a temporary file beside `path`, sets its mode, flushes it, then renames it
 * over `path`. The mode is set explicitly, so the umask does not widen or narrow it.
 *
 * @param path The file to create or replace; its directory must exist.
 * @param data Text (written as UTF-8) or bytes.
 * @param mode Permission bits of the result.
 * @throws {WriteFileError} naming the file; the temporary file is removed.
 * @example Usage
 * ```ts ignore
 * await writeFileAtomic("/home/me/.ipx/profile_default/security/token", "secret");
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${crypto.randomUUID()}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode });
    try {
      if (Deno.build.os !== "windows") await Deno.chmod(tmp, mode);
      let written = 0;
      while (written < bytes.length) {
        written += await file.write(bytes.subarray(written));
      }
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw new WriteFileError(
      `Cannot write ${path}: ${
        error instanceof Error ? error.message : String(error)
      }; check that its directory exists and is writable by this user`,
      { path, cause: error },
    );
  }
}
