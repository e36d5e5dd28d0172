/**
 * The `ipx` command line. Run it through `./ipx`, which supplies the Deno permissions.
 *
 * @module
 */

import { Command } from "commander";
import denoJson from "./deno.json" with { type: "json" };
import { configureErrors, reportError } from "./cmd/_usage.ts";
import { clusterCommand } from "./cmd/cluster.ts";
import { controllerCommand } from "./cmd/controller.ts";
import { engineCommand } from "./cmd/engine.ts";
import { engineProcessCommand } from "./cmd/engine_process.ts";
import { profileCommand } from "./cmd/profile.ts";
import { replCommand } from "./cmd/repl.ts";

/**
 * Builds the `ipx` program with every subcommand.
 *
 * @returns The commander program, with ipx's error handling applied.
 */
export function ipxProgram(): Command {
  const program = new Command("ipx")
    .description("IPython-parallel style parallel computing for Deno")
    .version(denoJson.version, "-V, --version", "print the ipx version");

  // ── Subcommands: one line per cmd/<name>.ts, each exporting <name>Command(): Command ──
  program.addCommand(profileCommand());
  program.addCommand(controllerCommand());
  program.addCommand(engineCommand());
  program.addCommand(clusterCommand());
  program.addCommand(engineProcessCommand(), { hidden: true });
  program.addCommand(replCommand());
  // ── end of subcommands ──

  return configureErrors(program);
}

/**
 * Runs ipx.
 *
 * @param args The command-line arguments, without the program name.
 * @returns The exit code: 0 on success, 2 for usage errors, 1 for other failures.
 */
export async function main(args: string[]): Promise<number> {
  try {
    await ipxProgram().parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    return reportError(error);
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  // On success let pending output drain; on failure exit now even if something is still open.
  // (commands that finish with a status of their own set Deno.exitCode themselves)
  if (code !== 0) Deno.exit(code);
}
