/**
 * How an engine process is started: its command line (the least Deno permissions it needs, its
 * V8 flags, its arguments), its environment, and the module cache it runs from. Used by the
 * engine supervisor (`supervisor.ts`).
 *
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";
import { allocatorEnv } from "./allocator_env.ts";
import { assertKeyUnreachable } from "./key_reach.ts";
import type { SupervisorOptions } from "./supervisor.ts";

const PROCESS_MAIN = fromFileUrl(new URL("./process_main.ts", import.meta.url));
const CONFIG = fromFileUrl(new URL("../../deno.json", import.meta.url));
const SOURCE_ROOT = fromFileUrl(new URL("../../", import.meta.url));

/**
 * The environment of an engine process: the few variables Deno needs, `DENO_NO_UPDATE_CHECK`,
 * and the C allocator's
 * tuning ({@linkcode allocatorEnv}: the user's `MALLOC_*_`/`GLIBC_TUNABLES`, else ipx's default
 * that keeps big buffers in the process), so a user can trade speed for memory. Example: with
 * `MALLOC_MMAP_THRESHOLD_=131072` an engine gives freed big buffers back to the system (~100 MB
 * less RSS after 16 MiB pushes and pulls) but moves big values slower, since every big buffer
 * is fresh memory. Nothing else leaks in (user code sees no environment unless `--allow-env`).
 *
 * `DENO_NO_UPDATE_CHECK`: Deno otherwise looks up `dl.deno.land` from every process that runs
 * for more than a moment (a DNS query, and where the network allows, an HTTPS request, retried
 * at every start while it fails); ipx pins its Deno, and an engine makes no connection but its
 * controller's (and those its user code is allowed).
 *
 * @returns The variables to set.
 */
export function engineEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
  for (const name of ["HOME", "PATH", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const v = Deno.env.get(name);
    if (v !== undefined) env[name] = v;
  }
  return { ...env, ...allocatorEnv(Deno.env.toObject()) };
}

/** True when running as a `deno compile`d binary rather than under `deno`. */
export function compiledBinary(): boolean {
  return !/(^|\/)deno(\.exe)?$/.test(Deno.execPath());
}

/**
 * Cap (MiB) on each V8 young-generation semi-space in an engine process (its main isolate and
 * its code Worker). V8 grows semi-spaces to 16 MiB under a stream of small messages and keeps
 * them: after 60,000 small tasks an engine held ~157 MB RSS with the default and ~105 MB with
 * this cap, at the same task rate and the same speed for allocation-heavy user code (measured
 * with 1, 2 and 4 MiB; see the README's Performance section).
 */
export const SEMI_SPACE_MB = 4;

/**
 * The Deno permission flags of an engine process, the least it needs:
 * - read: ipx's `lib/` (the engine's and its code Worker's modules; npm packages load from
 *   Deno's module cache, which needs no read permission), its connection file, the data dir
 *   and the extra paths given for user code;
 * - write: the data dir and the extra paths;
 * - net: the controller's `host:port` only (plus what was given for user code);
 * - sys: all of it, because a Worker can be granted sys "inspector" (which user code's
 *   REPL-mode evaluator needs) only by a parent holding all of sys, and `inspector` cannot be
 *   named on the command line; user code gets "inspector" alone;
 * - explicitly denied: subprocesses and FFI (either would escape every other limit) and remote
 *   imports; `--no-prompt` so nothing can be granted interactively;
 * - packages: `--cached-only --no-lock`, so an `npm:` import in user code can neither reach
 *   the registry (a network channel that `--allow-net` does not govern: the package name
 *   itself would carry data out) nor write the project's lockfile (outside the data dir).
 *   (`--frozen` instead would turn one such import into a process-wide lockfile error that
 *   stops the engine from ever starting a code Worker again.) ipx's own engine code needs no
 *   package from the cache: its npm dependencies are vendored (`scripts/vendor.ts`), and
 *   `tests/startup_graph_test.ts` keeps it so.
 *
 * User code runs in a Worker with narrower permissions still (see `sandbox.ts`).
 *
 * @param o Supervisor options.
 * @returns The flags, for `deno run`.
 * @throws {KeyReachableError} when user code would be able to read or write the connection file
 * (the data dir or an extra path contains the directory holding it): the key would leak.
 */
export function engineProcessFlags(o: SupervisorOptions): string[] {
  assertKeyUnreachable(o);
  // the controller's local socket (connecting to it needs read, write and net access to it)
  const ipc = o.info.ipcPath ? [o.info.ipcPath] : [];
  const read = [`${SOURCE_ROOT}lib`, o.file, ...ipc, o.dataDir, ...(o.allowRead ?? [])];
  const write = [...ipc, o.dataDir, ...(o.allowWrite ?? [])];
  const host = o.info.host.includes(":") && !o.info.host.startsWith("[")
    ? `[${o.info.host}]`
    : o.info.host;
  const net = [`${host}:${o.info.port}`, ...ipc.map((p) => `unix:${p}`)];
  if (o.allowNet === true) net.length = 0;
  else if (Array.isArray(o.allowNet)) net.push(...o.allowNet);
  const flags = [
    `--allow-read=${read.join(",")}`,
    `--allow-write=${write.join(",")}`,
    o.allowNet === true ? "--allow-net" : `--allow-net=${net.join(",")}`,
    "--allow-sys",
    "--deny-run",
    "--deny-ffi",
    "--deny-import",
    "--cached-only",
    "--no-lock",
    "--unstable-worker-options",
    "--no-prompt",
  ];
  if (o.allowEnv === true) flags.push("--allow-env");
  else if (Array.isArray(o.allowEnv) && o.allowEnv.length) {
    flags.push(`--allow-env=${o.allowEnv.join(",")}`);
  }
  const v8 = [`--max-semi-space-size=${SEMI_SPACE_MB}`];
  if (o.maxMemoryMb) v8.push(`--max-old-space-size=${Math.floor(o.maxMemoryMb)}`);
  flags.push(`--v8-flags=${v8.join(",")}`);
  return flags;
}

function engineArgs(o: SupervisorOptions): string[] {
  // the engine stops when its stdin closes: when its supervisor is gone, even by SIGKILL,
  // its engines do not live on as orphans (a cluster started again would get them as extras)
  const args = ["--file", o.file, "--data-dir", o.dataDir, "--parent-pipe"];
  if (o.allowRead?.length) args.push("--allow-read", o.allowRead.join(","));
  if (o.allowWrite?.length) args.push("--allow-write", o.allowWrite.join(","));
  if (o.allowNet) args.push(`--allow-net=${o.allowNet === true ? "" : o.allowNet.join(",")}`);
  if (o.allowEnv) args.push(`--allow-env=${o.allowEnv === true ? "" : o.allowEnv.join(",")}`);
  return args;
}

/** Where util-linux's setsid(1) usually is. */
const SETSID_PATHS = ["/usr/bin/setsid", "/bin/setsid"];

/** How to spawn a command in a session of its own ({@linkcode inOwnSession}). */
export interface SessionSpawn {
  /** What to run. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Whether to ask Deno for a detached spawn. */
  detached: boolean;
  /** Its environment: the one given, with `PATH` leading to the command when run by name. */
  env: Record<string, string>;
}

/**
 * How to start `command` in a session (and process group) of its own, so that a Ctrl-C typed in
 * this process's terminal does not reach it. Deno's `detached` spawn forks this whole process
 * to call setsid() before exec: ~12–20 ms for a process holding ~100 MB on these machines (the
 * page tables are copied, and this process then takes copy-on-write faults). util-linux's
 * setsid(1), started with an ordinary spawn (vfork, ~1 ms), makes the same setsid() call and
 * execs the command in the same process (it is not a group leader, so setsid(1) does not fork),
 * so the pid is the command's. Used when the system has it and this process may run it.
 *
 * Through setsid(1) the command runs by its bare name, found through `PATH` (its directory is
 * put first), so its `argv[0]` is short: see {@linkcode shortArgv0}.
 *
 * @param command Absolute path of the executable.
 * @param args Its arguments.
 * @param env Its environment.
 * @param setsidPaths Where to look for setsid(1) (tests pass none to get Deno's spawn); by
 *   default the usual places, looked at once per process.
 * @returns The spawn to make.
 */
export function inOwnSession(
  command: string,
  args: string[],
  env: Record<string, string>,
  setsidPaths?: readonly string[],
): SessionSpawn {
  const setsid = setsidPaths === undefined
    ? (usableSetsid ??= firstRunnable(SETSID_PATHS) ?? null)
    : firstRunnable(setsidPaths);
  if (!setsid) return { command, args, detached: true, env };
  const named = shortArgv0(command, env);
  if (!named) return { command: setsid, args: [command, ...args], detached: false, env };
  return { command: setsid, args: [named.name, ...args], detached: false, env: named.env };
}

/**
 * How to run the executable at `path` by its bare name: the name, and `env` with the
 * executable's directory first in `PATH`.
 *
 * Why: glibc 2.35 and 2.36 (Debian 12's) read the kernel's transparent huge page mode into a
 * buffer they compare without terminating it, so whether `glibc.malloc.hugetlb=1` (in ipx's
 * allocator default, allocator_env.ts) takes effect depends on a byte left on the stack, which
 * shifts with the process's argument strings and its random stack placement. Measured here
 * (processes that got huge pages): an engine's own command line 16 of 16 run by name, 10 of 16
 * run by its 40-character path; `deno run -A file.ts` 12 of 12 by name (also as `ipx-engine`,
 * `/usr/bin/deno` or `a/b/c/d/e/f/g/h/i/deno`, 10 of 10 each), 3 of 12 by path. It is no
 * guarantee: by name with a 300-character argument, 6 of 12. Later glibc releases terminate
 * the buffer.
 *
 * @param path Absolute path of the executable.
 * @param env The environment it would run with.
 * @returns Its name, and the environment that finds it first; undefined when `PATH` cannot
 *   name its directory (a `:` in it).
 */
export function shortArgv0(
  path: string,
  env: Record<string, string>,
): { name: string; env: Record<string, string> } | undefined {
  const cut = path.lastIndexOf("/");
  const dir = path.slice(0, cut) || "/";
  if (cut < 0 || dir.includes(":")) return undefined;
  const rest = (env.PATH ?? "").split(":").filter((d) => d !== "" && d !== dir);
  return { name: path.slice(cut + 1), env: { ...env, PATH: [dir, ...rest].join(":") } };
}

/**
 * How to run the executable at `path` by its bare name ({@linkcode shortArgv0}) without a new
 * session: through env(1), which finds it through `PATH` and execs it (the pid is the
 * executable's). Where `/usr/bin/env` is missing (or not allowed to run), or `PATH` cannot
 * name the directory, the path itself runs. `env` is the whole environment the command gets:
 * its `PATH` is kept after the executable's directory.
 *
 * @param path Absolute path of the executable.
 * @param args Its arguments.
 * @param env Its environment.
 * @returns The command, arguments and environment to spawn with.
 */
export function byName(
  path: string,
  args: string[],
  env: Record<string, string>,
): { command: string; args: string[]; env: Record<string, string> } {
  const envCommand = usableEnv ??= firstRunnable(["/usr/bin/env"]) ?? null;
  const named = shortArgv0(path, env);
  if (!envCommand || !named) return { command: path, args, env };
  return { command: envCommand, args: [named.name, ...args], env: named.env };
}

/** The system's setsid(1) as found once ({@linkcode firstRunnable}); `null` when there is none. */
let usableSetsid: string | null | undefined;
/** The system's env(1), likewise. */
let usableEnv: string | null | undefined;

/** The first of `paths` that is a file this process may run. */
function firstRunnable(paths: readonly string[]): string | undefined {
  for (const command of paths) {
    try {
      if (!Deno.statSync(command).isFile) continue;
      if (Deno.permissions.querySync({ name: "run", command }).state !== "granted") break;
      return command;
    } catch {
      // not there, or not readable: try the next
    }
  }
  return undefined;
}

/**
 * The arguments of an engine process (after the executable). From source: `deno run` with the
 * engine's own narrow permissions ({@linkcode engineProcessFlags}); as a compiled single binary
 * (`deno task compile`) there is no separate deno: the binary runs its hidden `engine-process`
 * command with its baked-in permissions (user code stays in the Worker sandbox either way).
 *
 * @param o Supervisor options (paths already resolved).
 * @returns The arguments.
 * @throws {KeyReachableError} as {@linkcode engineProcessFlags}.
 */
export function engineCommandArgs(o: SupervisorOptions): string[] {
  return compiledBinary()
    ? ["engine-process", ...engineArgs(o)]
    : ["run", "--config", CONFIG, ...engineProcessFlags(o), PROCESS_MAIN, ...engineArgs(o)];
}
