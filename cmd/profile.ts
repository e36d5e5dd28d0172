/**
 * `ipx profile`: create, list and locate profiles.
 *
 * @module
 */

import { Command } from "commander";
import {
  createProfile,
  ipxDir,
  listProfiles,
  locateProfile,
  ProfileNameError,
} from "../lib/profile/mod.ts";
import { UsageError } from "./_usage.ts";

/**
 * Builds the `ipx profile` command with its `create`, `list` and `locate` subcommands.
 *
 * @returns The command, ready for `program.addCommand()`.
 */
export function profileCommand(): Command {
  const profile = new Command("profile")
    .description(
      "Manage profiles: directories under $IPX_DIR (default ~/.ipx) holding a controller's " +
        "connection files, logs and state",
    );

  profile.command("create")
    .description("Create a profile (or repair an existing one) and print its directory")
    .argument("<name>", "profile name: letters, digits, _ - . (at most 64)")
    .action(async (name: string) => {
      const paths = await usage(() => createProfile(name));
      console.log(paths.dir);
    });

  profile.command("list")
    .description("Print the name of every profile, one per line")
    .action(async () => {
      const names = await listProfiles();
      if (names.length === 0) {
        console.error(`No profiles in ${ipxDir()}; create one with \`ipx profile create NAME\``);
      }
      for (const name of names) console.log(name);
    });

  profile.command("locate")
    .description("Print the directory of an existing profile")
    .argument("[name]", "profile name", "default")
    .action(async (name: string) => {
      const paths = await usage(() => locateProfile(name));
      console.log(paths.dir);
    });

  return profile;
}

/** Turns an invalid profile name into a usage error (exit 2). */
async function usage<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ProfileNameError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}
