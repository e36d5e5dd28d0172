/**
 * A pid-file lock: at most one live process (for example one controller per profile) holds it.
 *
 * The file holds JSON `{ pid, hostname, startedAt, token }`. It is created atomically by
 * hard-linking a fully written temporary file into place, so nobody ever reads a half-written
 * lock. A lock whose process is gone (stale) is moved aside atomically and replaced; if the file
 * moved aside turns out to belong to a live process (another process replaced the stale lock
 * first), it is put back and the caller gets {@linkcode AlreadyRunningError}.
 *
 * A lock written on another host cannot be checked, so it counts as live. A lock with this
 * process's own pid counts as live only if this process wrote it (pids get reused).
 *
 * @module
 */

import { hostname } from "node:os";
import process from "node:process";
import { IpxError } from "../protocol/errors.ts";

/** What a pid file says about its holder. */
export interface PidFileInfo {
  /** Process id of the holder. */
  pid: number;
  /** Host the holder runs on. */
  hostname: string;
  /** When the lock was taken (ISO 8601), if known. */
  startedAt?: string;
}

/** Options for {@linkcode acquirePidLock}. */
export interface AcquirePidLockOptions {
  /**
   * What holds the lock, for error messages.
   * @default {"ipx"}
   */
  what?: string;
}

/** A live process already holds the lock. */
export class AlreadyRunningError extends IpxError {
  /** The pid of the holder. */
  readonly pid: number;
  /** The host of the holder. */
  readonly hostname: string;
  /** The pid file. */
  readonly path: string;
  /**
   * @param holder The live holder.
   * @param path The pid file.
   * @param what What holds the lock.
   */
  constructor(holder: PidFileInfo, path: string, what: string) {
    const since = holder.startedAt ? ` since ${holder.startedAt}` : "";
    const remedy = holder.hostname === hostname()
      ? `stop it with \`kill ${holder.pid}\` and retry (if pid ${holder.pid} is not ${what}, ` +
        `delete ${path})`
      : `stop it on ${holder.hostname} and retry (if it is no longer running, delete ${path})`;
    super(
      `Cannot start: ${what} is already running as pid ${holder.pid} on ${holder.hostname}` +
        `${since} (lock file ${path}); ${remedy}`,
    );
    this.pid = holder.pid;
    this.hostname = holder.hostname;
    this.path = path;
  }
}

/** The lock file could not be created, read or replaced. */
export class PidLockError extends IpxError {}

/** A held pid lock. Release it with `release()` or `using`. */
export class PidLock implements Disposable {
  #path: string;
  #content: string;
  #pid: number;

  /**
   * Made by {@linkcode acquirePidLock}; not meant to be constructed directly.
   *
   * @param path The pid file.
   * @param content The exact content this holder wrote.
   * @param pid The holder's pid.
   */
  constructor(path: string, content: string, pid: number) {
    this.#path = path;
    this.#content = content;
    this.#pid = pid;
  }

  /** The pid file. */
  get path(): string {
    return this.#path;
  }

  /** The pid written into the file. */
  get pid(): number {
    return this.#pid;
  }

  /**
   * Removes the pid file if it is still ours. Synchronous, so it can run in exit handlers;
   * calling it again does nothing.
   */
  release(): void {
    try {
      if (Deno.readTextFileSync(this.#path) === this.#content) Deno.removeSync(this.#path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }

  /** Same as {@linkcode PidLock.release}. */
  [Symbol.dispose](): void {
    this.release();
  }
}

const MAX_ATTEMPTS = 5;

/**
 * Takes the pid lock at `path` for this process, replacing a stale one.
 *
 * @param path The pid file; its directory must exist.
 * @param options What holds the lock, for messages.
 * @returns The held lock.
 * @throws {AlreadyRunningError} when a live process holds it, naming the pid and how to stop it;
 * {PidLockError} when the file cannot be written.
 * @example Usage
 * ```ts ignore
 * using lock = await acquirePidLock(paths.pidFile, { what: "ipx controller" });
 * ```
 */
export async function acquirePidLock(
  path: string,
  options: AcquirePidLockOptions = {},
): Promise<PidLock> {
  const what = options.what ?? "ipx";
  const token = crypto.randomUUID();
  const content = JSON.stringify({
    pid: Deno.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    token,
  }) + "\n";
  const tmp = `${path}.${token}.tmp`;
  const aside = `${path}.${token}.stale`;
  try {
    await Deno.writeTextFile(tmp, content, { createNew: true, mode: 0o644 });
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await linkIfAbsent(tmp, path)) return new PidLock(path, content, Deno.pid);
      const seen = await readLockText(path);
      if (seen === undefined) continue; // released meanwhile: try again
      const holder = parsePidFile(seen);
      if (holder && isHolderAlive(holder)) throw new AlreadyRunningError(holder, path, what);
      // Stale: move it aside atomically, then make sure we moved what we judged.
      try {
        await Deno.rename(path, aside);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue;
        throw error;
      }
      const moved = await readLockText(aside);
      const mover = moved !== undefined && moved !== seen ? parsePidFile(moved) : undefined;
      if (mover && isHolderAlive(mover)) {
        await linkIfAbsent(aside, path); // put the live lock back
        await Deno.remove(aside).catch(() => {});
        throw new AlreadyRunningError(mover, path, what);
      }
      await Deno.remove(aside).catch(() => {});
    }
    throw new PidLockError(
      `Cannot take lock ${path}: it kept changing over ${MAX_ATTEMPTS} attempts; another ` +
        `${what} is probably starting at the same time, check with \`cat ${path}\` and retry`,
    );
  } catch (error) {
    if (error instanceof AlreadyRunningError || error instanceof PidLockError) throw error;
    throw new PidLockError(
      `Cannot take lock ${path}: ${
        error instanceof Error ? error.message : String(error)
      }; check that its directory exists and is writable by this user`,
      { cause: error },
    );
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/**
 * Reads a pid file.
 *
 * @param path The pid file.
 * @returns Its holder, or `undefined` when the file is missing or not a pid file.
 */
export async function readPidFile(path: string): Promise<PidFileInfo | undefined> {
  const text = await readLockText(path);
  return text === undefined ? undefined : parsePidFile(text);
}

/**
 * Tells whether a local process runs (it may belong to another user). A process that has ended
 * but that its parent has not reaped yet (a zombie, e.g. right after `kill -9` when the parent
 * or PID 1 reaps lazily) does not run: it holds nothing and can never run again.
 *
 * @param pid The process id.
 * @returns `false` when no such process exists, or it is a zombie (where `/proc` tells).
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as { code?: unknown }).code !== "ESRCH";
  }
  return !hasEnded(pid);
}

/**
 * Whether `/proc` shows `pid` as ended but not reaped (state `Z` zombie, or `X` dead); false
 * when it cannot tell (no `/proc`, no permission to read it or to run `cat`).
 */
function hasEnded(pid: number): boolean {
  const stat = procStat(pid);
  if (stat === undefined) return false;
  // "pid (comm) S …": comm may hold spaces and parentheses; the state follows the last ")"
  const state = stat.slice(stat.lastIndexOf(")") + 2).charAt(0);
  return state === "Z" || state === "X";
}

/**
 * `/proc/PID/stat`, or undefined when it cannot be read. Deno lets only `--allow-all` read
 * `/proc/PID/…` (not `--allow-read`, which is what `./ipx` grants), so without it a `cat` of
 * the file is asked for, when running `cat` is allowed.
 */
function procStat(pid: number): string | undefined {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) return undefined;
  }
  if (Deno.permissions.querySync({ name: "run", command: "cat" }).state !== "granted") {
    return undefined;
  }
  try {
    const out = new Deno.Command("cat", {
      args: [`/proc/${pid}/stat`],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout) : undefined;
  } catch {
    return undefined; // no `cat` on PATH
  }
}

function isHolderAlive(holder: PidFileInfo): boolean {
  if (holder.hostname !== hostname()) return true; // cannot check: assume live
  if (holder.pid === Deno.pid) {
    // Ours if this process wrote it; else a previous process whose pid we now reuse (common
    // in containers, where the main process often has the same small pid every time).
    const written = holder.startedAt === undefined ? NaN : Date.parse(holder.startedAt);
    return written >= Math.floor(performance.timeOrigin);
  }
  return isProcessAlive(holder.pid);
}

/**
 * Whether the process that wrote a pid file still runs (on another host: assumed to).
 *
 * @param path The pid file.
 * @returns true or false; undefined when there is no such file or it cannot be read as one.
 */
export async function pidFileHolderAlive(path: string): Promise<boolean | undefined> {
  const text = await readLockText(path);
  const holder = text === undefined ? undefined : parsePidFile(text);
  return holder === undefined ? undefined : isHolderAlive(holder);
}

/** Accepts our JSON format and, for hand-made files, a bare pid. */
function parsePidFile(text: string): PidFileInfo | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return validPid(Number(trimmed), hostname(), undefined);
  try {
    const v = JSON.parse(trimmed) as Record<string, unknown>;
    if (typeof v.hostname !== "string") return undefined;
    const startedAt = typeof v.startedAt === "string" ? v.startedAt : undefined;
    return validPid(v.pid, v.hostname, startedAt);
  } catch {
    return undefined;
  }
}

function validPid(
  pid: unknown,
  host: string,
  startedAt: string | undefined,
): PidFileInfo | undefined {
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0) return undefined;
  return startedAt === undefined
    ? { pid: pid as number, hostname: host }
    : { pid: pid as number, hostname: host, startedAt };
}

async function readLockText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Atomically creates `path` with `source`'s content; false when `path` already exists. */
async function linkIfAbsent(source: string, path: string): Promise<boolean> {
  try {
    await Deno.link(source, path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw error;
  }
}
