/**
 * What a client says when no controller appeared for a profile in time: which profile, whether
 * it exists at all (a mistyped `--profile` or another `IPX_DIR` is the usual cause), and the
 * commands that start a controller for it.
 *
 * @module
 */

import { ConnectionFileError } from "../protocol/connection_file.ts";
import { ipxDir, listProfiles } from "../profile/mod.ts";

/**
 * Rewords a timed-out wait for a profile's client file (the file never appeared) in terms of
 * the profile; any other error is returned as it is.
 *
 * @param error What `waitForConnectionFile` threw.
 * @param profile The profile the client asked for.
 * @param timeoutMs How long it waited.
 * @param profilesBefore The profiles that existed before the caller created any directory of
 *   its own (`ipx engine` makes the profile's log dir); listed now when absent.
 * @param longerWait How to wait longer (a command names its flag).
 * @returns The error to throw.
 */
export async function profileWaitError(
  error: unknown,
  profile: string,
  timeoutMs: number,
  profilesBefore?: string[],
  longerWait = "allow a longer timeout",
): Promise<unknown> {
  if (
    !(error instanceof ConnectionFileError) || error.problem !== "timeout" ||
    !(error.cause instanceof ConnectionFileError) || error.cause.problem !== "missing"
  ) {
    return error;
  }
  const profiles = profilesBefore ?? await listProfiles().catch(() => undefined);
  const start = `\`ipx controller --profile ${profile}\` or ` +
    `\`ipx cluster start --profile ${profile}\``;
  const waited = `${(timeoutMs / 1000).toFixed(1)} s`;
  const message = profiles === undefined || profiles.includes(profile)
    ? `No controller is running for profile "${profile}": its connection file ${error.path} ` +
      `did not appear within ${waited}. Start one with ${start}, pass --file (the library: ` +
      `\`file\`) with the controller's connection file, or ${longerWait}`
    : `There is no profile "${profile}" in ${ipxDir()} (${
      profiles.length === 0 ? "it has none" : `profiles there: ${profiles.join(", ")}`
    }), and no controller created it within ${waited}. Check the name and IPX_DIR, or start ` +
      `a controller for it with ${start}`;
  return new ConnectionFileError(message, {
    path: error.path,
    problem: "timeout",
    cause: error.cause, // the file is missing (what the timeout said adds nothing)
  });
}
