/**
 * Profile directories on disk: create, list and locate them.
 *
 * @module
 */

import { IpxError } from "../protocol/errors.ts";
import { ipxDir } from "./ipx_dir.ts";
import { validateProfileName } from "./profile_name.ts";
import { type ProfilePaths, profilePaths } from "./profile_paths.ts";
import { assertSecureDir } from "./secure_dir.ts";

/** A profile directory could not be created or read. */
export class ProfileError extends IpxError {}

/** The named profile does not exist. */
export class ProfileNotFoundError extends IpxError {
  /** The profile that was asked for. */
  readonly profileName: string;
  /**
   * @param profileName The missing profile.
   * @param dir Where it was looked for.
   */
  constructor(profileName: string, dir: string) {
    super(
      `No profile "${profileName}" (looked for ${dir}); create it with ` +
        `\`ipx profile create ${profileName}\`, or set IPX_DIR if your profiles live elsewhere`,
    );
    this.profileName = profileName;
  }
}

const PREFIX = "profile_";

/**
 * Creates a profile's directories: `dir`, `security` (mode 0700), `log` and `data`. Safe to
 * call again on an existing profile; it then tightens `security` back to 0700.
 *
 * @param name The profile name.
 * @param base The ipx base directory; defaults to `ipxDir()`.
 * @returns The profile's paths.
 * @throws {ProfileNameError} for an invalid name; {ProfileError} when a directory cannot be made;
 * {InsecureDirError} when `security` stays world-writable.
 * @example Usage
 * ```ts ignore
 * const paths = await createProfile("default");
 * console.log(paths.security);
 * ```
 */
export async function createProfile(name: string, base?: string): Promise<ProfilePaths> {
  const paths = profilePaths(name, base);
  try {
    await Deno.mkdir(paths.dir, { recursive: true, mode: 0o755 });
    await Deno.mkdir(paths.security, { recursive: true, mode: 0o700 });
    if (Deno.build.os !== "windows") await Deno.chmod(paths.security, 0o700);
    await Deno.mkdir(paths.log, { recursive: true });
    await Deno.mkdir(paths.data, { recursive: true });
  } catch (error) {
    throw new ProfileError(
      `Cannot create profile "${name}" in ${paths.dir}: ${
        error instanceof Error ? error.message : String(error)
      }; check the permissions of its parent directory, or set IPX_DIR to a writable directory`,
      { cause: error },
    );
  }
  await assertSecureDir(paths.security);
  return paths;
}

/**
 * Lists the profiles under a base directory.
 *
 * @param base The ipx base directory; defaults to `ipxDir()`.
 * @returns Profile names, sorted; empty when the base directory does not exist.
 * @throws {ProfileError} when the base directory cannot be read.
 */
export async function listProfiles(base?: string): Promise<string[]> {
  const dir = base ?? ipxDir();
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isDirectory || !entry.name.startsWith(PREFIX)) continue;
      const name = entry.name.slice(PREFIX.length);
      try {
        names.push(validateProfileName(name));
      } catch {
        // Not one of ours (a name ipx would never create); leave it alone.
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw new ProfileError(
      `Cannot list profiles in ${dir}: ${
        error instanceof Error ? error.message : String(error)
      }; check that it is a readable directory, or set IPX_DIR`,
      { cause: error },
    );
  }
  return names.sort();
}

/**
 * Finds an existing profile.
 *
 * @param name The profile name.
 * @param base The ipx base directory; defaults to `ipxDir()`.
 * @returns The profile's paths.
 * @throws {ProfileNotFoundError} when its directory does not exist; {ProfileNameError} for an
 * invalid name.
 */
export async function locateProfile(name = "default", base?: string): Promise<ProfilePaths> {
  const paths = profilePaths(name, base);
  try {
    if ((await Deno.stat(paths.dir)).isDirectory) return paths;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new ProfileError(
        `Cannot read profile "${name}" at ${paths.dir}: ${
          error instanceof Error ? error.message : String(error)
        }; check its permissions`,
        { cause: error },
      );
    }
  }
  throw new ProfileNotFoundError(name, paths.dir);
}
