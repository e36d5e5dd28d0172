/**
 * Where ipx keeps its profiles.
 *
 * @module
 */

import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { IpxError } from "../protocol/errors.ts";

/** Neither `IPX_DIR` nor a home directory is available. */
export class IpxDirError extends IpxError {}

/**
 * The ipx base directory: `$IPX_DIR` (made absolute) when set and non-empty, else `~/.ipx`.
 *
 * @returns An absolute path; the directory may not exist yet.
 * @throws {IpxDirError} when `IPX_DIR` is unset and no home directory is known.
 * @example Usage
 * ```ts ignore
 * console.log(ipxDir()); // "/home/me/.ipx"
 * ```
 */
export function ipxDir(): string {
  const fromEnv = Deno.env.get("IPX_DIR");
  if (fromEnv) return resolve(fromEnv);
  let home = "";
  try {
    home = homedir();
  } catch (error) {
    throw new IpxDirError(
      "Cannot locate the ipx directory: no home directory is known; set IPX_DIR to a directory " +
        "for ipx's profiles",
      { cause: error },
    );
  }
  if (!home) {
    throw new IpxDirError(
      "Cannot locate the ipx directory: HOME is not set; set HOME or IPX_DIR",
    );
  }
  return join(home, ".ipx");
}
