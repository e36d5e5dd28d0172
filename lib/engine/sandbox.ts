/**
 * The engine sandbox: which permissions the code Worker gets, how escaping symlinks in the
 * data dir are found, and how Deno's permission errors are rewritten into messages that say
 * what was denied and how to allow it.
 *
 * Denials keep Deno's own error name, `NotCapable`, as their `ename` (the name
 * `Deno.errors.NotCapable` has since Deno 2), so clients can test for one name.
 *
 * @module
 */

import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { ErrorData } from "../protocol/errors.ts";

/** What the code Worker may touch, before resolution. */
export interface SandboxOptions {
  /** Absolute path of the data dir: user code's cwd and the only readable/writable path. */
  dataDir: string;
  /** Extra absolute paths user code may read. @default [] */
  allowRead?: string[];
  /** Extra absolute paths user code may write. @default [] */
  allowWrite?: string[];
  /** Network access: `true` for any host, or a list of `host[:port]`. @default false */
  allowNet?: boolean | string[];
  /** Environment variables: `true` for all, or a list of names. @default false */
  allowEnv?: boolean | string[];
}

/** {@linkcode SandboxOptions} after validation, with every path made real (symlinks resolved). */
export interface SandboxPolicy {
  /** Real path of the data dir. */
  dataDir: string;
  /** Readable paths: the data dir first, then the extras. */
  read: string[];
  /** Writable paths: the data dir first, then the extras. */
  write: string[];
  /** Network access. */
  net: boolean | string[];
  /** Environment access. */
  env: boolean | string[];
}

/** The sandbox options are unusable (relative path, missing data dir…). */
export class SandboxConfigError extends Error {
  /**
   * @param message What is wrong and how to fix it.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SandboxConfigError";
  }
}

/** A symlink inside the data dir whose target lies outside what user code may write. */
export interface SymlinkEscape {
  /** Absolute path of the link. */
  link: string;
  /** Where it points (real path, or the lexical target when it dangles). */
  target: string;
}

async function realOrResolved(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    return resolve(path);
  }
}

async function resolveExtras(paths: readonly string[] | undefined, what: string) {
  const out: string[] = [];
  for (const path of paths ?? []) {
    if (!isAbsolute(path)) {
      throw new SandboxConfigError(
        `Cannot use ${what} path "${path}": it is relative; give an absolute path`,
      );
    }
    out.push(await realOrResolved(path));
  }
  return out;
}

/**
 * Validates sandbox options and resolves every path to its real location.
 *
 * @param options The requested sandbox.
 * @returns The policy the Worker is started with.
 * @throws {SandboxConfigError} if the data dir is relative, missing or not a directory, or an
 * extra path is relative.
 */
export async function resolvePolicy(options: SandboxOptions): Promise<SandboxPolicy> {
  const { dataDir } = options;
  if (!isAbsolute(dataDir)) {
    throw new SandboxConfigError(
      `Cannot use data dir "${dataDir}": it is relative; give an absolute path`,
    );
  }
  let real: string;
  try {
    real = await Deno.realPath(dataDir);
    if (!(await Deno.stat(real)).isDirectory) throw new Error("not a directory");
  } catch (error) {
    throw new SandboxConfigError(
      `Cannot use data dir "${dataDir}": ${
        error instanceof Error ? error.message : String(error)
      }; create the directory first`,
      { cause: error },
    );
  }
  return {
    dataDir: real,
    read: [real, ...await resolveExtras(options.allowRead, "allow-read")],
    write: [real, ...await resolveExtras(options.allowWrite, "allow-write")],
    net: options.allowNet ?? false,
    env: options.allowEnv ?? false,
  };
}

/**
 * The `deno.permissions` for the code Worker: read/write only the policy's paths, no
 * subprocesses, no FFI, no imports from the network, and of `sys` only `inspector` (which the
 * Worker needs to evaluate code in a persistent namespace).
 *
 * @param policy The resolved sandbox.
 * @returns Options for `new Worker(url, { deno: { permissions } })`.
 */
export function workerPermissions(policy: SandboxPolicy): Deno.PermissionOptionsObject {
  return {
    read: [...policy.read],
    write: [...policy.write],
    net: Array.isArray(policy.net) ? [...policy.net] : policy.net,
    env: Array.isArray(policy.env) ? [...policy.env] : policy.env,
    run: false,
    ffi: false,
    sys: ["inspector"],
    import: false,
  };
}

/** Whether `path` is `root` or lies below it (both absolute and normalized). */
export function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

interface DirState {
  stamp: string;
  racy: boolean;
  subdirs: string[];
  escapes: SymlinkEscape[];
  /** Entries read. */
  entries: number;
}

/** A directory whose change time is this close to its scan may change unnoticed. */
const RACY_MS = 2000;

/**
 * Finds symlinks under the data dir that lead outside the paths user code may both read and
 * write. Deno checks permissions on a link's own location, not its target, so such a link
 * would let user code read (or write) the target.
 *
 * A link is accepted only if the path it names and its final target both lie inside the data
 * dir (or an extra path granted both read and write), so a chain through an outside link is
 * refused. Dangling links are judged by the path they name, since writing through one creates
 * its target. Links are never followed during the walk.
 *
 * {@linkcode scan} is incremental: a directory is re-read only when its change time (`ctime`,
 * which `touch` or `tar` cannot set back) differs from the last scan, or was too recent to
 * trust; otherwise it costs one `lstat`. It uses synchronous calls (a few µs each).
 */
export class SymlinkScanner {
  #policy: SandboxPolicy;
  #entries = 0;
  #roots: string[];
  #dirs = new Map<string, DirState>();

  /** @param policy The resolved sandbox. */
  constructor(policy: SandboxPolicy) {
    this.#policy = policy;
    this.#roots = policy.write.filter((w) => policy.read.some((r) => isInside(w, r)));
  }

  /** Directories the last {@linkcode scan} walked. */
  get directories(): number {
    return this.#dirs.size;
  }

  /** Entries of the directories the last {@linkcode scan} walked, as last read. */
  get entries(): number {
    return this.#entries;
  }

  /**
   * Walks the data dir, re-reading directories that changed.
   *
   * @returns Every escaping link, in walk order (empty when the data dir is clean).
   */
  scan(): SymlinkEscape[] {
    const now = Date.now();
    const seen = new Set<string>();
    const escapes: SymlinkEscape[] = [];
    const stack = [this.#policy.dataDir];
    let entries = 0;
    for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
      let info: Deno.FileInfo;
      try {
        info = Deno.lstatSync(dir);
      } catch {
        continue; // removed since its parent was read
      }
      if (!info.isDirectory) continue; // replaced; its parent changed and was re-read
      seen.add(dir);
      const changed = info.ctime?.getTime() ?? now;
      const stamp = `${info.ino}:${changed}:${info.mtime?.getTime()}`;
      let state = this.#dirs.get(dir);
      if (state === undefined || state.racy || state.stamp !== stamp) {
        state = this.#read(dir, stamp, now - changed < RACY_MS);
        this.#dirs.set(dir, state);
      }
      escapes.push(...state.escapes);
      stack.push(...state.subdirs);
      entries += state.entries;
    }
    for (const dir of this.#dirs.keys()) if (!seen.has(dir)) this.#dirs.delete(dir);
    this.#entries = entries;
    return escapes;
  }

  #read(dir: string, stamp: string, racy: boolean): DirState {
    const state: DirState = { stamp, racy, subdirs: [], escapes: [], entries: 0 };
    let entries: Iterable<Deno.DirEntry>;
    try {
      entries = Deno.readDirSync(dir);
      for (const entry of entries) {
        state.entries++;
        const path = join(dir, entry.name);
        if (entry.isDirectory) state.subdirs.push(path);
        else if (entry.isSymlink) {
          const escape = this.#judge(path);
          if (escape) state.escapes.push(escape);
        }
      }
    } catch {
      state.racy = true; // unreadable now (so unreadable for user code too); try again later
    }
    return state;
  }

  #judge(link: string): SymlinkEscape | undefined {
    let named: string;
    try {
      named = resolve(dirname(link), Deno.readLinkSync(link));
    } catch {
      return undefined; // gone already
    }
    let target = named;
    try {
      target = Deno.realPathSync(link);
    } catch {
      // Dangling or looping: judge the path it names.
    }
    const inside = (path: string) => this.#roots.some((root) => isInside(path, root));
    if (inside(named) && inside(target)) return undefined;
    return { link, target: inside(target) ? named : target };
  }
}

/**
 * The error an operation fails with while escaping symlinks exist: the engine refuses to run
 * code until they are removed.
 *
 * @param escapes The links found by {@linkcode SymlinkScanner.scan}.
 * @param policy The resolved sandbox.
 * @returns Error data with `ename` `"SandboxViolation"`.
 */
export function symlinkViolation(
  escapes: readonly SymlinkEscape[],
  policy: SandboxPolicy,
): ErrorData {
  const list = escapes.slice(0, 5).map((e) => `"${e.link}" -> "${e.target}"`).join(", ");
  const more = escapes.length > 5 ? ` and ${escapes.length - 5} more` : "";
  const data: ErrorData = {
    ename: "SandboxViolation",
    evalue: `the data dir ${policy.dataDir} contains symlinks that point outside the sandbox ` +
      `(${list}${more}); user code could read or write their targets, so the engine refuses to ` +
      `run code until they are removed or replaced by copies`,
    stack: "",
  };
  return data;
}

const REQUIRES = /Requires (\w+) access(?: to "([^"]*)")?, run again with the --allow-\w+ flag/;

function allowedList(value: boolean | string[]): string {
  if (value === true) return "all";
  if (value === false || value.length === 0) return "none";
  return value.join(", ");
}

function explainRequires(
  kind: string,
  resource: string | undefined,
  policy: SandboxPolicy,
  who: string,
): string {
  const what = resource === undefined ? `${kind} access` : `${kind} access to "${resource}"`;
  const denied = `${what} denied by ${who}`;
  switch (kind) {
    case "read":
    case "write": {
      const full = resource === undefined ? "" : resolve(policy.dataDir, resource);
      const shown = resource !== undefined && full !== resource ? ` (resolves to ${full})` : "";
      const list = kind === "read" ? policy.read : policy.write;
      return `${denied}${shown} (allowed: ${list.join(", ")}); ` +
        `start the engine with --allow-${kind}=PATH to permit it`;
    }
    case "net":
      return `${denied} (allowed: ${allowedList(policy.net)}); ` +
        `start the engine with --allow-net=HOST[:PORT] to permit it`;
    case "env":
      return `${denied} (allowed: ${allowedList(policy.env)}); ` +
        `start the engine with --allow-env=NAME to permit it`;
    case "run":
      return `${denied}: a subprocess would not be bound by the sandbox, so engines never ` +
        `start one; run the program outside ipx and put its output in the data dir`;
    case "ffi":
      return `${denied}: native code bypasses every permission, so engines never load it`;
    case "import":
      return `${denied}: code cannot be imported from the network; copy the module into ` +
        `the data dir and import it by absolute path`;
    case "sys":
      return `${denied}: of the system information APIs only "inspector" is available`;
    default:
      return `${denied}; the engine sandbox does not grant it`;
  }
}

/**
 * Rewrites a permission failure so it names the permission and the resource and says how to
 * allow it. Errors that are not permission failures are returned unchanged.
 *
 * @param error The failure as reported by the Worker.
 * @param policy The resolved sandbox.
 * @param engineId The engine's id, named in the message when given.
 * @returns The same error data, or a `NotCapable` one with an explanatory `evalue`.
 *
 * @example Usage
 * ```ts ignore
 * explainDenial(
 *   { ename: "NotCapable", evalue: 'Requires env access to "HOME", run again with the --allow-env flag', stack: "" },
 *   policy,
 * ).evalue; // 'env access to "HOME" denied by the engine sandbox (allowed: none); start …'
 * ```
 */
export function explainDenial(
  error: ErrorData,
  policy: SandboxPolicy,
  engineId?: number,
): ErrorData {
  const who = engineId === undefined ? "the engine sandbox" : `the sandbox of engine ${engineId}`;
  const requires = REQUIRES.exec(error.evalue);
  if (requires) {
    const evalue = explainRequires(requires[1] ?? "", requires[2], policy, who);
    return { ...error, ename: "NotCapable", evalue };
  }
  if (error.evalue.includes("Can't escalate parent thread permissions")) {
    return {
      ...error,
      ename: "NotCapable",
      evalue: `a Worker started by user code cannot have more permissions than ${who} ` +
        `grants; leave out deno.permissions (the Worker then inherits the sandbox) or ask for less`,
    };
  }
  if (/symlink(Sync)?\(\) requires unscoped/.test(error.evalue)) {
    return {
      ...error,
      ename: "NotCapable",
      evalue: `creating symlinks is denied by ${who} (Deno only allows it with unscoped ` +
        `read and write access); copy the file instead`,
    };
  }
  return error;
}
