/**
 * What engine code may touch, as `ipx engine` and `ipx cluster start` take it on the command
 * line: the data dir, extra paths to read or write, network and environment access, and a heap
 * limit. Parsed and checked once, before anything starts: a bad value, or a data dir or path
 * through which user code could read the connection file's key, is a one-line usage error
 * (exit 2).
 *
 * @module
 */

import type { Command } from "commander";
import { resolve } from "node:path";
import { assertKeyUnreachable, KeyReachableError } from "../lib/engine/key_reach.ts";
import type { SupervisorOptions } from "../lib/engine/supervisor.ts";
import { UsageError } from "./_usage.ts";

/** The sandbox options as commander parses them. */
export interface EngineSandboxCli {
  /** `--data-dir`. */
  dataDir?: string;
  /** `--allow-read` (comma-separated). */
  allowRead?: string;
  /** `--allow-write` (comma-separated). */
  allowWrite?: string;
  /** `--allow-net [hosts]`. */
  allowNet?: string | boolean;
  /** `--allow-env [names]`. */
  allowEnv?: string | boolean;
  /** `--max-memory-mb`. */
  maxMemoryMb?: string;
}

/** Each sandbox option's key in {@linkcode EngineSandboxCli} and its flag. */
export const SANDBOX_FLAGS: readonly (readonly [keyof EngineSandboxCli, string])[] = [
  ["dataDir", "--data-dir"],
  ["allowRead", "--allow-read"],
  ["allowWrite", "--allow-write"],
  ["allowNet", "--allow-net"],
  ["allowEnv", "--allow-env"],
  ["maxMemoryMb", "--max-memory-mb"],
];

/** The sandbox of engines, checked, as the supervisor takes it. */
export type EngineSandbox =
  & Pick<SupervisorOptions, "dataDir">
  & Partial<
    Pick<SupervisorOptions, "allowRead" | "allowWrite" | "allowNet" | "allowEnv" | "maxMemoryMb">
  >;

/** Smallest `--max-memory-mb` (an engine needs about this much to start). */
const MIN_MEMORY_MB = 16;

/**
 * Adds the sandbox options to a command.
 *
 * @param cmd The command.
 * @param dataDirHelp What `--data-dir` defaults to, for its help.
 * @returns The command.
 */
export function withEngineSandboxOptions(cmd: Command, dataDirHelp: string): Command {
  return cmd
    .option("--data-dir <dir>", `directory user code may read and write (default: ${dataDirHelp})`)
    .option(
      "--max-memory-mb <n>",
      "heap limit per engine; an engine past it dies and its tasks fail saying out of memory",
    )
    .option("--allow-read <paths>", "extra paths user code may read (comma-separated)")
    .option("--allow-write <paths>", "extra paths user code may write (comma-separated)")
    .option("--allow-net [hosts]", "let user code use the network (optionally only these hosts)")
    .option(
      "--allow-env [names]",
      "let user code read environment variables (optionally only these)",
    );
}

/** `--allow-net`/`--allow-env`: all (`true`), or these hosts or names, as given. */
function listOpt(v: string | boolean | undefined): boolean | string[] | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return true;
  return v.split(",").filter(Boolean);
}

/**
 * `--allow-read`/`--allow-write`: paths, each made absolute against the cwd (`notes.txt` too),
 * so the checks here and the engines (whose cwd is the data dir) see the same path.
 */
function pathsOpt(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(",").filter(Boolean).map((p) => resolve(p));
}

/**
 * Checks the sandbox options and makes the data dir.
 *
 * @param o The options as parsed.
 * @param where The default data dir, and the connection file whose key user code must not reach
 *   (none: the caller checks, e.g. `repl --local` against its private profile).
 * @returns The sandbox, with absolute paths.
 * @throws {UsageError} for a bad value, a data dir that cannot be made, or a data dir or path
 *   containing the connection file's directory.
 */
export async function engineSandbox(
  o: EngineSandboxCli,
  where: { defaultDataDir: string; keyFile?: string },
): Promise<EngineSandbox> {
  const maxMemoryMb = o.maxMemoryMb === undefined ? undefined : Number(o.maxMemoryMb);
  if (
    maxMemoryMb !== undefined && !(Number.isInteger(maxMemoryMb) && maxMemoryMb >= MIN_MEMORY_MB)
  ) {
    throw new UsageError(
      `--max-memory-mb must be an integer of at least ${MIN_MEMORY_MB}, got ${o.maxMemoryMb}`,
    );
  }
  const dataDir = resolve(o.dataDir ?? where.defaultDataDir);
  try {
    await Deno.mkdir(dataDir, { recursive: true });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new UsageError(
        `Cannot use --data-dir ${dataDir}: it exists and is not a directory; give a directory ` +
          `(it is created if missing)`,
      );
    }
    // Deno's own words for a system path (/proc, /sys, /dev) suggest --allow-all, which ipx
    // never runs with: say what it means instead
    const reason = error instanceof Deno.errors.NotCapable
      ? "it is a system path (like /proc, /sys or /dev) that Deno opens only to programs with " +
        "every permission, which ipx never has"
      : (error as Error).message;
    throw new UsageError(
      `Cannot create the data dir ${dataDir} (--data-dir): ${reason}; choose a directory this ` +
        `user can create and write`,
    );
  }
  const allowRead = pathsOpt(o.allowRead);
  const allowWrite = pathsOpt(o.allowWrite);
  const allowNet = listOpt(o.allowNet);
  const allowEnv = listOpt(o.allowEnv);
  try {
    if (where.keyFile !== undefined) {
      assertKeyUnreachable({
        file: where.keyFile,
        dataDir,
        ...(allowRead ? { allowRead } : {}),
        ...(allowWrite ? { allowWrite } : {}),
      });
    }
  } catch (error) {
    if (error instanceof KeyReachableError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  return {
    dataDir,
    ...(allowRead ? { allowRead } : {}),
    ...(allowWrite ? { allowWrite } : {}),
    ...(allowNet !== undefined ? { allowNet } : {}),
    ...(allowEnv !== undefined ? { allowEnv } : {}),
    ...(maxMemoryMb !== undefined ? { maxMemoryMb } : {}),
  };
}

/**
 * The sandbox as command-line arguments again (for a process started with it, e.g. the
 * background cluster of `ipx cluster start --daemon`).
 *
 * @param s The checked sandbox.
 * @returns The arguments.
 */
export function engineSandboxArgs(s: EngineSandbox): string[] {
  const args = ["--data-dir", s.dataDir];
  if (s.allowRead?.length) args.push("--allow-read", s.allowRead.join(","));
  if (s.allowWrite?.length) args.push("--allow-write", s.allowWrite.join(","));
  for (const [flag, v] of [["--allow-net", s.allowNet], ["--allow-env", s.allowEnv]] as const) {
    if (v === true) args.push(flag);
    else if (Array.isArray(v) && v.length) args.push(flag, v.join(","));
  }
  if (s.maxMemoryMb !== undefined) args.push("--max-memory-mb", String(s.maxMemoryMb));
  return args;
}
