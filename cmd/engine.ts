/**
 * `ipx engine`: start N engine processes that connect to a controller.
 *
 * @module
 */

import { Command } from "commander";
import { resolve } from "node:path";
import { profilePaths } from "../lib/profile/mod.ts";
import { openLog } from "./_log.ts";

/** Options of `ipx engine`, as parsed. */
export interface EngineCliOptions {
  profile: string;
  file?: string;
  n: string;
  dataDir?: string;
  restart?: boolean;
  waitMs: string;
  allowRead?: string;
  allowWrite?: string;
  allowNet?: string | boolean;
  allowEnv?: string | boolean;
  maxMemoryMb?: string;
}

function listOpt(v: string | boolean | undefined): boolean | string[] | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return true;
  return v.split(",").filter(Boolean).map((p) => p.includes("/") ? resolve(p) : p);
}

/**
 * Runs the engine supervisor in the foreground.
 *
 * @param o Parsed options.
 * @returns Exit code.
 */
export async function runEngineCommand(o: EngineCliOptions): Promise<number> {
  const paths = profilePaths(o.profile);
  const file = o.file ? resolve(o.file) : paths.engineFile;
  const n = Number(o.n);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`ipx engine: --n must be a positive integer, got ${o.n}`);
    return 2;
  }
  const maxMemoryMb = o.maxMemoryMb === undefined ? undefined : Number(o.maxMemoryMb);
  if (maxMemoryMb !== undefined && !(Number.isInteger(maxMemoryMb) && maxMemoryMb >= 16)) {
    console.error(
      `ipx engine: --max-memory-mb must be an integer of at least 16, got ${o.maxMemoryMb}`,
    );
    return 2;
  }
  const dataDir = resolve(o.dataDir ?? paths.data);
  await Deno.mkdir(dataDir, { recursive: true });
  await Deno.mkdir(paths.log, { recursive: true }).catch(() => {});
  const log = openLog(o.file ? undefined : `${paths.log}/engines.log`);
  let waited = false;
  // loaded here, not at start: every ipx command loads this file (see main.ts)
  const { waitForConnectionFile } = await import("../lib/protocol/connection_file.ts");
  const { Supervisor } = await import("../lib/engine/supervisor.ts");
  const info = await waitForConnectionFile(file, {
    timeoutMs: Number(o.waitMs),
    onWaiting: () => {
      if (!waited) {
        waited = true;
        log("info", `waiting for ${file} to appear (is the controller started?)`);
      }
    },
  });
  const allowRead = listOpt(o.allowRead);
  const allowWrite = listOpt(o.allowWrite);
  const allowNet = listOpt(o.allowNet);
  const allowEnv = listOpt(o.allowEnv);
  let fatal = false;
  const sup = new Supervisor({
    file,
    info,
    n,
    dataDir,
    restart: !!o.restart,
    ...(Array.isArray(allowRead) ? { allowRead } : {}),
    ...(Array.isArray(allowWrite) ? { allowWrite } : {}),
    ...(allowNet !== undefined ? { allowNet } : {}),
    ...(allowEnv !== undefined ? { allowEnv } : {}),
    ...(maxMemoryMb ? { maxMemoryMb } : {}),
    log: (line) => log("info", line),
    // an engine that cannot authenticate (3) or is misconfigured (4) will not get better
    onExit: (_id, _pid, how) => {
      if (/exit code [34]\b/.test(how)) fatal = true;
    },
  });
  sup.start();
  log("info", `started ${n} engine process(es) for ${info.host}:${info.port}, data dir ${dataDir}`);
  const stop = () => void sup.stop();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await sup.done;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  log("info", "all engines stopped");
  log.close();
  return fatal ? 1 : 0;
}

/** Builds the `ipx engine` command. */
export function engineCommand(): Command {
  return new Command("engine")
    .description("start engine processes that connect to a controller and run code")
    .option("--profile <name>", "profile whose engine file and data dir to use", "default")
    .option("--file <path>", "engine connection file (copied from the controller)")
    .option("--n <count>", "number of engines", "1")
    .option("--data-dir <dir>", "directory user code may read and write (default: <profile>/data)")
    .option("--restart", "replace engines that die")
    .option(
      "--max-memory-mb <n>",
      "heap limit per engine; an engine past it dies and its tasks fail saying out of memory",
    )
    .option("--wait-ms <n>", "how long to wait for the connection file", "30000")
    .option("--allow-read <paths>", "extra paths user code may read (comma-separated)")
    .option("--allow-write <paths>", "extra paths user code may write (comma-separated)")
    .option("--allow-net [hosts]", "let user code use the network (optionally only these hosts)")
    .option(
      "--allow-env [names]",
      "let user code read environment variables (optionally only these)",
    )
    .action(async (o: EngineCliOptions) => {
      Deno.exitCode = await runEngineCommand(o);
    });
}
