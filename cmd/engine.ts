/**
 * `ipx engine`: start N engine processes that connect to a controller.
 *
 * The command runs until every engine has ended and none will be restarted, then exits with
 * (see {@linkcode ENGINE_EXIT_CODES}):
 * - 0 when the engines were stopped on purpose: `ipx engine` got SIGINT/SIGTERM, or the
 *   controller shut the cluster down (its engines then exit 0);
 * - 1 when engines died and were not replaced (killed by a signal, crashed, ran out of memory,
 *   could not authenticate, or were misconfigured; without `--restart` any death counts), or
 *   ipx itself failed (e.g. no usable connection file);
 * - 2 for a usage error, including a data dir or extra path that would let user code read the
 *   connection file (and its key).
 *
 * @module
 */

import { Command } from "commander";
import { resolve } from "node:path";
import { listProfiles, profilePaths } from "../lib/profile/mod.ts";
import { openLog } from "./_log.ts";
import {
  engineSandbox,
  type EngineSandboxCli,
  withEngineSandboxOptions,
} from "./_engine_sandbox.ts";

/** Options of `ipx engine`, as parsed. */
export interface EngineCliOptions extends EngineSandboxCli {
  profile: string;
  file?: string;
  n: string;
  restart?: boolean;
  waitMs: string;
}

/** Exit codes of `ipx engine`. */
export const ENGINE_EXIT_CODES = {
  /** Every engine was stopped on purpose (a signal to `ipx engine`, or a controller shutdown). */
  stopped: 0,
  /** Engines died (signal, crash, out of memory, wrong key, bad configuration), none replaced. */
  died: 1,
  /** Bad command-line arguments. */
  usage: 2,
} as const;

/** How to wait longer for the connection file, in a timeout's message. */
const LONGER_WAIT = "wait longer with --wait-ms";

/** What `ipx engine --help` says about how it ends. */
const EXIT_HELP = `
Exit status (once every engine has ended and none will be restarted):
  ${ENGINE_EXIT_CODES.stopped}  stopped on purpose (SIGINT/SIGTERM to ipx engine, or a controller shutdown)
  ${ENGINE_EXIT_CODES.died}  engines died and were not replaced (signal, crash, out of memory, wrong key,
     bad configuration), or no usable connection file
  ${ENGINE_EXIT_CODES.usage}  usage error (also: a --data-dir or --allow-* path containing the connection
     file's directory, where user code could read the key)`;

/**
 * Runs the engine supervisor in the foreground.
 *
 * @param o Parsed options.
 * @returns Exit code.
 */
export async function runEngineCommand(o: EngineCliOptions): Promise<number> {
  const paths = profilePaths(o.profile);
  // before this command makes the profile's log dir: a mistyped --profile is named as such
  const profilesBefore = o.file ? [] : await listProfiles().catch(() => undefined);
  const file = o.file ? resolve(o.file) : paths.engineFile;
  const n = Number(o.n);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`ipx engine: --n must be a positive integer, got ${o.n}`);
    return ENGINE_EXIT_CODES.usage;
  }
  // before waiting for the file: a data dir that exposes the key never will be right
  const sandbox = await engineSandbox(o, { defaultDataDir: paths.data, keyFile: file });
  await Deno.mkdir(paths.log, { recursive: true }).catch(() => {});
  const log = openLog(o.file ? undefined : `${paths.log}/engines.log`);
  // loaded here, not at start: every ipx command loads this file (see main.ts)
  const { waitForConnectionFile } = await import("../lib/protocol/connection_file.ts");
  const { Supervisor } = await import("../lib/engine/supervisor.ts");
  const info = await waitForConnectionFile(file, {
    timeoutMs: Number(o.waitMs),
    longerWait: LONGER_WAIT,
    onWaiting: (problem) => {
      if (problem.detail === undefined) {
        log("info", `waiting for ${file} to appear (is the controller started?)`);
        return;
      }
      // it may still be being copied (scp and cp are not atomic): keep waiting, but say why
      log(
        "warn",
        `${file} exists but cannot be used: ${problem.detail}. Waiting up to ` +
          `${Number(o.waitMs) / 1000} s in case it is still being written; if it stays like ` +
          `this, copy a fresh ipx-engine.json from the controller's profile security dir ` +
          "(`ipx controller` prints its path when it starts)",
      );
    },
  }).catch(async (error) => {
    if (o.file) throw error;
    const { profileWaitError } = await import("../lib/client/profile_hint.ts");
    throw await profileWaitError(error, o.profile, Number(o.waitMs), profilesBefore, LONGER_WAIT);
  });
  const { exposedKeyWarning } = await import("../lib/protocol/connection_file.ts");
  const exposed = await exposedKeyWarning(file);
  if (exposed) log("warn", exposed);
  const sup = new Supervisor({
    file,
    info,
    n,
    ...sandbox,
    restart: !!o.restart,
    log: (line) => log("info", line),
  });
  sup.start();
  log(
    "info",
    `started ${n} engine process(es) for ${info.host}:${info.port}, data dir ${sandbox.dataDir}`,
  );
  let stopRequested = false;
  const stop = () => {
    stopRequested = true;
    void sup.stop();
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  // resolves once nothing of the supervisor is left open, so returning ends the process
  await sup.done;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  const code = !stopRequested && sup.died > 0 ? ENGINE_EXIT_CODES.died : ENGINE_EXIT_CODES.stopped;
  log(
    code === ENGINE_EXIT_CODES.stopped ? "info" : "error",
    code === ENGINE_EXIT_CODES.stopped
      ? "all engines stopped"
      : `all engines stopped: ${sup.died} died and ${sup.died === 1 ? "was" : "were"} not ` +
        `replaced (see above${o.restart ? "" : "; --restart replaces engines that die"}); ` +
        `exiting with code ${code}`,
  );
  log.close();
  return code;
}

/** Builds the `ipx engine` command. */
export function engineCommand(): Command {
  const cmd = new Command("engine")
    .description("start engine processes that connect to a controller and run code")
    .option("--profile <name>", "profile whose engine file and data dir to use", "default")
    .option("--file <path>", "engine connection file (copied from the controller)")
    .option("--n <count>", "number of engines", "1")
    .option("--restart", "replace engines that die")
    .option("--wait-ms <n>", "how long to wait for the connection file", "30000");
  return withEngineSandboxOptions(cmd, "<profile>/data")
    .addHelpText("after", EXIT_HELP)
    .action(async (o: EngineCliOptions) => {
      Deno.exitCode = await runEngineCommand(o);
    });
}
