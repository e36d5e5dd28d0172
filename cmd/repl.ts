/**
 * `ipx repl`: the interactive parallel REPL, on a running cluster (`--profile`, `--file`) or
 * on a private local one (`--local N`) that lives exactly as long as the REPL.
 *
 * With `--local`, the controller runs in this process with its profile files in a private
 * temporary directory (so it never collides with a cluster already running for the profile),
 * the engines run as child processes in the profile's data dir, and the cluster's log goes to
 * a file in that temporary directory (and to stderr with `--verbose`). Everything is stopped
 * and removed when the REPL ends, however it ends (a failed start included). The temporary
 * directory holds the cluster's key, so it is never placed inside the engines' data dir or an
 * extra path granted to user code (it goes into the profile's dir instead when one of those
 * contains the temporary dir).
 *
 * @module
 */

import { Command } from "commander";
import { dirname, join, resolve } from "node:path";
import type { Client } from "../lib/client/client.ts";
import { contains } from "../lib/engine/key_reach.ts";
import type { Logger } from "../lib/controller/log.ts";
import { ipxDir, ProfileNameError, type ProfilePaths, profilePaths } from "../lib/profile/mod.ts";
import { replOrigin } from "../lib/repl/repl_origin.ts";
import { TLS_OFF_WARNING } from "../lib/controller/tls_off.ts";
import type { LocalCluster } from "./_local_cluster.ts";
import { UsageError } from "./_usage.ts";
import { removeStaleReplDirs } from "./_stale_repl_dirs.ts";
import {
  type EngineSandbox,
  engineSandbox,
  type EngineSandboxCli,
  SANDBOX_FLAGS,
  withEngineSandboxOptions,
} from "./_engine_sandbox.ts";

/** Options of `ipx repl`, as parsed. */
export interface ReplCliOptions extends EngineSandboxCli {
  profile: string;
  file?: string;
  local?: string;
  tls: boolean;
  exitOnError?: boolean;
  verbose?: boolean;
  timeout: string;
}

function stderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
}

/** A log file, echoed to stderr when verbose. */
function fileLogger(path: string, verbose: boolean): Logger & { close(): void } {
  const file = Deno.openSync(path, { create: true, append: true, mode: 0o600 });
  const enc = new TextEncoder();
  const log = ((level, message) => {
    const line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`;
    try {
      file.writeSync(enc.encode(line));
    } catch {
      // the log file is best effort
    }
    if (verbose) stderr(line);
  }) as Logger & { close(): void };
  log.close = () => file.close();
  return log;
}

/**
 * Collects termination signals for the whole command, so that one arriving while the cluster
 * starts or is being torn down (when the REPL itself does not listen) cannot kill the process
 * half-way and leave engine processes behind.
 */
function guardSignals(): { received: () => Deno.Signal | undefined; off: () => void } {
  let got: Deno.Signal | undefined;
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
  const listeners = signals.map((s) => [s, () => got ??= s] as const);
  for (const [s, l] of listeners) Deno.addSignalListener(s, l);
  return {
    received: () => got,
    off: () => {
      for (const [s, l] of listeners) Deno.removeSignalListener(s, l);
    },
  };
}

function profileOf(name: string): ProfilePaths {
  try {
    return profilePaths(name);
  } catch (error) {
    if (error instanceof ProfileNameError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

function parseOptions(o: ReplCliOptions): { n: number | undefined; timeoutMs: number } {
  const timeoutMs = Number(o.timeout);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new UsageError(
      `Invalid --timeout "${o.timeout}": give milliseconds, e.g. --timeout 10000`,
    );
  }
  if (o.local === undefined) {
    const given = SANDBOX_FLAGS.filter(([key]) => o[key] !== undefined).map(([, flag]) => flag);
    if (!o.tls) given.push("--no-tls");
    if (o.verbose) given.push("--verbose");
    if (given.length > 0) {
      throw new UsageError(
        `${given.join(", ")} only ${given.length > 1 ? "apply" : "applies"} with --local N ` +
          "(the cluster the REPL starts itself); a running cluster got its settings where it " +
          "was started",
      );
    }
    return { n: undefined, timeoutMs };
  }
  const n = Number(o.local);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`Invalid --local "${o.local}": give a number of engines, e.g. --local 2`);
  }
  if (o.file !== undefined) {
    throw new UsageError("--local starts its own cluster; drop --file (or drop --local)");
  }
  return { n, timeoutMs };
}

/** A path granted to user code, with the flag that granted it. */
interface Granted {
  /** E.g. `--data-dir`, `--allow-read`. */
  flag: string;
  /** The absolute path. */
  path: string;
}

/**
 * Every path user code may read or write, named by its flag.
 *
 * @param s The checked sandbox.
 * @returns The data dir first, then the extra paths.
 */
function grantedPaths(s: EngineSandbox): Granted[] {
  return [
    { flag: "--data-dir", path: s.dataDir },
    ...(s.allowRead ?? []).map((path) => ({ flag: "--allow-read", path })),
    ...(s.allowWrite ?? []).map((path) => ({ flag: "--allow-write", path })),
  ];
}

/**
 * Makes the private profile dir of `--local` (its controller's files: the cluster's key among
 * them) where no path granted to user code (data dir, `--allow-read`, `--allow-write`) can reach
 * it, so that user code cannot read the key: in the temporary dir (`$TMPDIR`, else `/tmp`) as
 * `ipx-repl-*`, else, when a granted path contains that (e.g. `--data-dir /tmp` or
 * `--allow-read /tmp`), in the profile's dir as `.ipx-repl-*`. The caller removes it.
 *
 * @param sandbox The engines' sandbox.
 * @param paths The profile (its dir is the second choice).
 * @returns The new directory (mode 0700).
 * @throws {UsageError} when granted paths contain both places, naming them and what to do (the
 *   message names the temporary dir's parent, which stays); nothing is left behind then.
 */
async function privateProfileDir(sandbox: EngineSandbox, paths: ProfilePaths): Promise<string> {
  const granted = grantedPaths(sandbox);
  const reaching = (dir: string) => granted.find((g) => contains(g.path, dir));
  const tmp = await Deno.makeTempDir({ prefix: "ipx-repl-" });
  // leftovers of REPLs that were killed (SIGKILL) and could not remove theirs
  await removeStaleReplDirs(dirname(tmp), "ipx-repl-");
  await removeStaleReplDirs(paths.dir, ".ipx-repl-");
  const inTmp = reaching(tmp);
  if (!inTmp) return tmp;
  await Deno.remove(tmp, { recursive: true });
  let inProfile = reaching(paths.dir);
  if (!inProfile) {
    await Deno.mkdir(paths.dir, { recursive: true });
    const dir = await Deno.makeTempDir({ dir: paths.dir, prefix: ".ipx-repl-" });
    inProfile = reaching(dir);
    if (!inProfile) return dir;
    await Deno.remove(dir, { recursive: true });
  }
  throw new UsageError(bothReachedMessage(inTmp, inProfile, dirname(tmp), paths));
}

/**
 * Why `repl --local` has nowhere to keep its key: granted paths contain both places.
 *
 * @param inTmp The granted path containing the temporary dir.
 * @param inProfile The granted path containing the profile dir.
 * @param tmp The temporary dir (the parent of `ipx-repl-*`).
 * @param paths The profile.
 * @returns What happened and what to do.
 */
function bothReachedMessage(
  inTmp: Granted,
  inProfile: Granted,
  tmp: string,
  paths: ProfilePaths,
): string {
  const what = inTmp === inProfile
    ? `Cannot use ${inTmp.flag} ${inTmp.path}: it contains both the temporary dir ${tmp} and ` +
      `the profile dir ${paths.dir}`
    : `Cannot use ${inTmp.flag} ${inTmp.path} with ${inProfile.flag} ${inProfile.path}: the ` +
      `first contains the temporary dir ${tmp}, the second the profile dir ${paths.dir}`;
  const instead = inTmp === inProfile && inTmp.flag === "--data-dir"
    ? `give a data dir that contains neither (the default is ${paths.data})`
    : inTmp === inProfile
    ? `give a narrower ${inTmp.flag} path that contains neither`
    : "give narrower paths";
  return `${what}, where \`ipx repl --local\` keeps its private cluster's connection files, ` +
    `so user code could read the cluster's key; ${instead}, or set TMPDIR to a directory ` +
    `outside ${inTmp === inProfile ? "it" : inTmp.path}`;
}

/**
 * Runs `ipx repl`.
 *
 * @param o Parsed options.
 * @returns The exit code.
 */
export async function runReplCommand(o: ReplCliOptions): Promise<number> {
  const { n, timeoutMs } = parseOptions(o);
  const file = o.file === undefined ? undefined : resolve(o.file);
  // a file in a profile's security dir means that profile (start line, history)
  const origin = replOrigin(profileOf(o.profile).name, file, ipxDir());
  const paths = profileOf(origin.profile);
  const signals = guardSignals();
  let base: string | undefined;
  let log: (Logger & { close(): void }) | undefined;
  let cluster: LocalCluster | undefined;
  let client: Client | undefined;
  try {
    // loaded here, not at start: every ipx command loads this file (see main.ts)
    const [{ Client }, { runRepl }, { startLocalCluster }] = await Promise.all([
      import("../lib/client/client.ts"),
      import("../lib/repl/mod.ts"),
      import("./_local_cluster.ts"),
    ]);
    if (n !== undefined) {
      // the cluster's log reaches stderr only with --verbose: say this one here in any case
      if (!o.tls && !o.verbose) stderr(`ipx repl: WARNING: ${TLS_OFF_WARNING}\n`);
      // the key of the private profile is kept out of reach below and checked at the start
      const checked = await engineSandbox(o, { defaultDataDir: paths.data });
      const { dataDir, ...sandbox } = checked;
      base = await privateProfileDir(checked, paths);
      log = fileLogger(join(base, "cluster.log"), o.verbose ?? false);
      try {
        cluster = await startLocalCluster({
          profile: o.profile,
          base,
          n,
          dataDir,
          ...sandbox,
          ...(o.tls ? {} : { noTls: true }),
          log,
        });
      } catch (error) {
        // a usage error is said in its one line; anything else comes with what the cluster said
        const text = error instanceof UsageError
          ? ""
          : await Deno.readTextFile(join(base, "cluster.log")).catch(() => "");
        if (!o.verbose && text) stderr(text);
        throw error;
      }
      client = await Client.connect({ file: cluster.running.clientFile, timeoutMs });
    } else {
      client = await Client.connect({
        profile: o.profile,
        ...(file ? { file } : {}),
        timeoutMs,
        // said when waiting starts (and if the reason changes, e.g. a half-copied file)
        onWaiting: (problem) =>
          stderr(
            `ipx repl: waiting up to ${timeoutMs / 1000} s for the controller: ${problem}\n`,
          ),
      });
    }
    if (signals.received()) return 130;
    const { exposedKeyWarning } = await import("../lib/protocol/connection_file.ts");
    const exposed = await exposedKeyWarning(client.connectionFile);
    if (exposed) stderr(`ipx repl: WARNING: ${exposed}\n`);
    return await runRepl({
      client,
      profile: origin.profile,
      ...(origin.file !== undefined ? { file: origin.file } : {}),
      ...(n !== undefined ? { note: `local cluster of ${n}` } : {}),
      historyFile: paths.historyFile,
      exitOnError: o.exitOnError ?? false,
    });
  } finally {
    await client?.close().catch(() => {});
    await cluster?.stop().catch(() => {});
    log?.close();
    if (base) await Deno.remove(base, { recursive: true }).catch(() => {});
    signals.off();
  }
}

/**
 * Builds the `ipx repl` command.
 *
 * @returns The commander command.
 */
export function replCommand(): Command {
  const cmd = new Command("repl")
    .description(
      "interactive REPL: local TypeScript plus %px magics on the engines (%help lists them)",
    )
    .option("--profile <name>", "profile of the cluster (and of the history)", "default")
    .option(
      "--file <path>",
      "client connection file (instead of the profile's); one in $IPX_DIR/profile_NAME/security/ " +
        "means profile NAME (start line and history), any other keeps the history of --profile",
    )
    .option("--local <n>", "start a private cluster of N engines for this session")
    .option("--no-tls", "with --local: plain TCP on the loopback")
    .option("--exit-on-error", "when reading a script from stdin: exit 1 at the first failing cell")
    .option("--verbose", "with --local: show the cluster's log on stderr")
    .option("--timeout <ms>", "bound on connecting to the controller", "10000");
  return withEngineSandboxOptions(cmd, "the profile's data dir; with --local only")
    .action(async (o: ReplCliOptions) => {
      // exit now: a timer or pending promise of a local cell must not keep the REPL running
      // after `%exit` or the end of input (output is written synchronously)
      Deno.exit(await runReplCommand(o));
    });
}
