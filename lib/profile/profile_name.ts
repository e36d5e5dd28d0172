/**
 * Profile name rules. A profile lives in `<ipx dir>/profile_<name>`, so a name must be a safe
 * single path component.
 *
 * @module
 */

import { IpxError } from "../protocol/errors.ts";

/** A profile name breaks the naming rules. */
export class ProfileNameError extends IpxError {
  /** The rejected name. */
  readonly profileName: string;
  /**
   * @param profileName The rejected name.
   * @param reason Why it was rejected.
   */
  constructor(profileName: string, reason: string) {
    super(
      `Invalid profile name ${JSON.stringify(profileName)}: ${reason}; use 1 to 64 letters, ` +
        `digits, "_", "-" or ".", starting with a letter or digit (for example "default" or "gpu-2")`,
    );
    this.profileName = profileName;
  }
}

const MAX_LENGTH = 64;
const PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Checks a profile name.
 *
 * @param name The name to check.
 * @returns The same name, for chaining.
 * @throws {ProfileNameError} when it is empty, too long, or has characters outside
 * `[A-Za-z0-9_.-]`, or does not start with a letter or digit.
 * @example Usage
 * ```ts ignore
 * validateProfileName("default"); // "default"
 * validateProfileName("../etc"); // throws ProfileNameError
 * ```
 */
export function validateProfileName(name: string): string {
  if (name.length === 0) throw new ProfileNameError(name, "it is empty");
  if (name.length > MAX_LENGTH) {
    throw new ProfileNameError(name, `it has ${name.length} characters, more than ${MAX_LENGTH}`);
  }
  if (!PATTERN.test(name)) {
    throw new ProfileNameError(
      name,
      /^[A-Za-z0-9]/.test(name)
        ? "it contains a character that is not allowed"
        : "it does not start with a letter or digit",
    );
  }
  return name;
}
