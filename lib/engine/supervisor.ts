/**
 * The engine supervisor behind `ipx engine --n N`: starts N engine processes with the least
 * Deno permissions they need (their command line: `engine_launch.ts`), relays their output,
 * reports how each one ended, and with `restart` replaces engines that die.
 *
 * @module
 */

import { hostname } from "node:os";
import { type ConnectionInfo, readConnectionFile } from "../protocol/connection_file.ts";
import { dial } from "../protocol/dial.ts";
import type { EngineExitReport } from "../protocol/messages.ts";
import { engineCommandArgs, engineEnv, inOwnSession } from "./engine_launch.ts";
import { ExitReporter } from "./exit_reporter.ts";
import { assertKeyUnreachable } from "./key_reach.ts";
import { EXIT_FILE_CHANGED } from "./file_follow.ts";
import { forEachLine } from "./lines.ts";

// how an engine process is started lives in engine_launch.ts; these stay importable from here
export { compiledBinary, engineEnv, engineProcessFlags, SEMI_SPACE_MB } from "./engine_launch.ts";

/** Options of {@linkcode Supervisor}. */
export interface SupervisorOptions {
  /** Engine connection file. */
  file: string;
  /** Its contents (for the controller address the engines may reach). */
  info: ConnectionInfo;
  /** How many engines. */
  n: number;
  /** Data directory of every engine (user code's cwd and only readable/writable place). */
  dataDir: string;
  /** Replace engines that die. @default false */
  restart?: boolean;
  /**
   * Tell the controller at once when an engine process ends (and why): `true` over a connection
   * of the supervisor's own, a function to hand each report to a controller in this process
   * (a local cluster's), `false` not at all. @default true
   */
  reportExits?: boolean | ((report: EngineExitReport) => void);
  /** Extra paths user code may read. */
  allowRead?: string[];
  /** Extra paths user code may write. */
  allowWrite?: string[];
  /** Network access for user code (`true` = any). */
  allowNet?: boolean | string[];
  /** Environment access for user code (`true` = all). */
  allowEnv?: boolean | string[];
  /** Heap limit of each engine process (MiB); past it the engine dies "out of memory". */
  maxMemoryMb?: number;
  /** Output lines (already prefixed). */
  log: (line: string) => void;
  /**
   * Log each engine's registration (`engine N registered (pid P)`). A local cluster, whose
   * controller logs registrations itself (with host and transport), turns it off. @default true
   */
  logRegistrations?: boolean;
  /** Called when an engine process registers. */
  onRegistered?: (engineId: number, pid: number) => void;
  /** Called when an engine process ends. */
  onExit?: (engineId: number | undefined, pid: number, how: string) => void;
}

interface Slot {
  child: Deno.ChildProcess;
  engineId: number | undefined;
  startedAt: number;
  /** The key of the connection file as the supervisor last knew it when this one started. */
  key: string;
  /** Last lines of its stderr, to recognize how it died. */
  tail: string[];
}

/** An engine dying this soon after start, before registering, counts as a crash loop. */
const QUICK_CRASH_MS = 5000;
const TAIL_LINES = 30;
/** How long an engine refused for its key (exit 3) waits for its file to get a new key. */
const KEY_CHANGE_WAIT_MS = 2000;
const KEY_CHANGE_POLL_MS = 100;

/**
 * Says how an engine process ended, from its status and the last lines of its stderr.
 *
 * @param status Exit status.
 * @param tail Last stderr lines.
 * @returns E.g. `killed by signal SIGKILL (…)`, `out of memory (…)`, `exit code 1`.
 */
export function describeExit(status: Deno.CommandStatus, tail: readonly string[] = []): string {
  const oom = tail.find((l) => /out of memory|heap limit|Allocation failed/i.test(l));
  const how = status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
  if (oom) return `out of memory (${how}: ${oom.replace(/^[#\s]+/, "").trim()})`;
  if (status.signal) {
    const note = status.signal === "SIGKILL"
      ? " (SIGKILL: killed by a user, a supervisor or the out-of-memory killer)"
      : ["SIGSEGV", "SIGBUS", "SIGABRT", "SIGILL", "SIGTRAP"].includes(status.signal)
      ? " (a crash in native code)"
      : "";
    return `killed by signal ${status.signal}${note}`;
  }
  if (status.code === 3) {
    return "exit code 3 (could not authenticate, or a version or TLS/plain-TCP mismatch: see above)";
  }
  if (status.code === 4) return "exit code 4 (bad engine configuration: see above)";
  if (status.code === EXIT_FILE_CHANGED) {
    return `exit code ${EXIT_FILE_CHANGED} (its connection file was rewritten: see above)`;
  }
  return `exit code ${status.code}`;
}

/** Starts and watches engine processes. */
export class Supervisor {
  #o: SupervisorOptions;
  #slots = new Set<Slot>();
  #stopping = false;
  #allExited = Promise.withResolvers<void>();
  #reporter: ExitReporter | undefined;
  #report: ((report: EngineExitReport) => void) | undefined;
  #quickCrashes = 0;
  #restartTimers = new Set<ReturnType<typeof setTimeout>>();
  #finishing = false;
  #died = 0;
  /** The connection file's key as last read (a controller restarted with a new key changes it). */
  #key: string;

  /**
   * @param options What to start and how.
   * @throws {KeyReachableError} when the data dir or an extra path contains the connection
   *   file's directory (user code could read the key); nothing is started then.
   */
  constructor(options: SupervisorOptions) {
    assertKeyUnreachable(options);
    this.#o = options;
    this.#key = options.info.key;
    const keyNow = () => this.#key; // the reporter reads it on each attempt: it follows a change
    if (typeof options.reportExits === "function") this.#report = options.reportExits;
    else if (options.reportExits !== false) {
      const reporter = this.#reporter = new ExitReporter({
        // re-read on every attempt, as engines do: a restarted controller rewrites its files
        connect: async (signal) =>
          dial(await readConnectionFile(options.file).catch(() => options.info), {
            source: options.file,
            signal,
          }),
        get key() {
          return keyNow();
        },
        keySource: options.file,
        log: options.log,
      });
      this.#report = (report) => reporter.report(report);
    }
  }

  /** Engine ids of the running engine processes that have registered (as their output said). */
  get registeredIds(): number[] {
    return [...this.#slots].flatMap((s) => s.engineId === undefined ? [] : [s.engineId]);
  }

  /**
   * Pids of the running engine processes in the order of `engineIds` (the pid at index i runs
   * engine `engineIds[i]`), then those of processes not known to have registered as one of them.
   *
   * @param engineIds Engine ids, in the order wanted.
   */
  pidsInOrder(engineIds: readonly number[]): number[] {
    const wanted = new Set(engineIds);
    const byId = new Map<number, number>();
    const rest: number[] = [];
    for (const s of this.#slots) {
      if (s.engineId !== undefined && wanted.has(s.engineId)) byId.set(s.engineId, s.child.pid);
      else rest.push(s.child.pid);
    }
    const known = engineIds.flatMap((id) => byId.has(id) ? [byId.get(id)!] : []);
    return [...known, ...rest];
  }

  /**
   * Resolves when every engine process has ended and none will be restarted. By then the
   * supervisor holds nothing open (no connection to the controller, no timer), so a command
   * that only waited for this ends.
   */
  get done(): Promise<void> {
    return this.#allExited.promise;
  }

  /**
   * How many engines died and were not replaced: ended by a signal or a non-zero exit code
   * without {@linkcode Supervisor.stop} having been called (engines replaced with `restart` do
   * not count; one that cannot authenticate or is misconfigured is never replaced, so it does).
   * An engine that exits 0 on its own (the controller asked it to shut down) did not die.
   */
  get died(): number {
    return this.#died;
  }

  /** Starts the N engine processes. */
  start(): void {
    // engines run with --cached-only; their own code needs no package from Deno's cache (ipx's
    // npm dependencies are vendored: tests/startup_graph_test.ts keeps it so)
    this.#resolveLinks().then(
      () => {
        if (this.#stopping) {
          if (this.#slots.size === 0) this.#finish();
          return;
        }
        try {
          for (let i = 0; i < this.#o.n; i++) this.#spawn();
        } catch (error) {
          // e.g. a path that became unsafe since the constructor checked, or no process left:
          // said like any other failure to start, never an uncaught error
          this.#o.log(`cannot start engines: ${(error as Error).message}`);
          this.#died += this.#o.n - this.#slots.size;
          if (this.#slots.size === 0) this.#finish();
          else void this.stop();
        }
      },
      (error) => {
        this.#o.log(`cannot start engines: ${(error as Error).message}`);
        this.#died += this.#o.n; // none started: `ipx engine` exits 1, as documented
        this.#finish();
      },
    );
  }

  /**
   * Resolves the data dir to its real path and adds the real paths of the extra allowed ones:
   * Deno grants a path as
   * written, while the sandbox Worker asks for the target of a symlink (a `/data` that links to
   * `/mnt/...`, `/etc/os-release` to `../usr/lib/os-release`), and a Worker may not ask for more
   * than its engine process holds. Paths that do not exist (yet) stay as given.
   */
  async #resolveLinks(): Promise<void> {
    const real = (p: string) => Deno.realPath(p).catch(() => p);
    // a path as the user wrote it stays granted (code uses it), and its target with it
    const list = async (paths: string[] | undefined) =>
      paths === undefined
        ? undefined
        : [...new Set([...paths, ...await Promise.all(paths.map(real))])];
    const [dataDir, allowRead, allowWrite] = await Promise.all([
      real(this.#o.dataDir),
      list(this.#o.allowRead),
      list(this.#o.allowWrite),
    ]);
    this.#o = {
      ...this.#o,
      dataDir,
      ...(allowRead ? { allowRead } : {}),
      ...(allowWrite ? { allowWrite } : {}),
    };
  }

  #spawn(): void {
    const o = this.#o;
    // a session of its own: a Ctrl-C typed in the terminal of `ipx repl --local` or of
    // `ipx cluster start` reaches only that process, which stops its engines itself (and
    // engines end with it however it ends, through stdin)
    const { command, args, detached, env } = inOwnSession(
      Deno.execPath(),
      engineCommandArgs(o),
      engineEnv(),
    );
    const cmd = new Deno.Command(command, {
      args,
      cwd: o.dataDir,
      stdin: "piped", // never written: it closes when this process ends (see engine_launch.ts)
      detached,
      stdout: "piped",
      stderr: "piped",
      // only what Deno needs to find its cache: user code allowed env access sees no more
      env,
      clearEnv: true,
    });
    const child = cmd.spawn();
    const slot: Slot = {
      child,
      engineId: undefined,
      startedAt: Date.now(),
      key: this.#key,
      tail: [],
    };
    this.#slots.add(slot);
    const prefix = () =>
      slot.engineId !== undefined ? `[engine ${slot.engineId}]` : `[engine pid ${child.pid}]`;
    const out = forEachLine(child.stdout, (line) => {
      const m = /^ipx-engine registered (\d+)$/.exec(line);
      if (m) {
        slot.engineId = Number(m[1]);
        if (o.logRegistrations !== false) {
          o.log(`engine ${slot.engineId} registered (pid ${child.pid})`);
        }
        o.onRegistered?.(slot.engineId, child.pid);
      } else o.log(`${prefix()} ${line}`);
    });
    const err = forEachLine(child.stderr, (line) => {
      slot.tail.push(line);
      if (slot.tail.length > TAIL_LINES) slot.tail.shift();
      o.log(`${prefix()} ${line}`);
    });
    child.status.then(async (status) => {
      child.stdin.close().catch(() => {}); // the pipe that ties it to this process (no leak)
      // report at once, but after its last words (e.g. "out of memory"), which take a moment
      let drained: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([out, err]),
        new Promise((r) => drained = setTimeout(r, 250)),
      ]);
      clearTimeout(drained);
      const early = describeExit(status, slot.tail);
      if (!this.#stopping) {
        this.#report?.({
          ...(slot.engineId !== undefined ? { engineId: slot.engineId } : {}),
          pid: child.pid,
          host: hostname(),
          how: early,
        });
      }
      await Promise.allSettled([out, err]);
      this.#slots.delete(slot);
      const how = describeExit(status, slot.tail);
      const name = `engine ${slot.engineId ?? "(unregistered)"} (pid ${child.pid})`;
      if (!this.#stopping) {
        // exit code 0: it was stopped on purpose (a controller shutdown, a signal to it)
        o.log(
          status.success
            ? `${name} stopped: the controller shut it down (or it was signalled to stop)`
            : status.code === EXIT_FILE_CHANGED
            ? `${name} stopped: ${how}`
            : `${name} died: ${how}`,
        );
      }
      o.onExit?.(slot.engineId, child.pid, how);
      // it follows its connection file, with or without `restart`: a controller restarted with
      // a new key, or on an address the engine's permissions do not cover (exit code 5), gets
      // engines from a replacement process (an engine refused for its key, exit code 3, when
      // the file now holds another one: it read the file before the new controller wrote it)
      if (
        !this.#stopping &&
        (status.code === EXIT_FILE_CHANGED || (status.code === 3 && await this.#keyChanged(slot)))
      ) {
        o.log(
          `the connection file ${o.file} was rewritten by a restarted controller: starting a ` +
            `replacement engine, with the key and the permissions the file calls for now`,
        );
        this.#restartLater(false);
        return;
      }
      if (
        o.restart && !this.#stopping && !status.success && status.code !== 3 && status.code !== 4
      ) {
        // a crash loop (engines dying before they even register) backs off; an engine that
        // worked and then died is replaced at once
        this.#restartLater(
          slot.engineId === undefined && Date.now() - slot.startedAt < QUICK_CRASH_MS,
        );
        return;
      }
      if (!this.#stopping && !status.success) this.#died++;
      if (this.#slots.size === 0 && this.#restartTimers.size === 0) this.#finish();
    });
  }

  /**
   * Whether the connection file's key differs from the one `slot`'s engine started with: an
   * engine that could not authenticate (exit 3) is worth replacing then, as a new engine reads
   * the new key; with the same key the replacement would fail again.
   */
  async #keyChanged(slot: Slot): Promise<boolean> {
    // a controller restarted with a new key listens a moment before it rewrites its file: an
    // engine refused in that moment read the old one, so the file gets a little time to change
    for (let waited = 0;; waited += KEY_CHANGE_POLL_MS) {
      const now = await this.#reread();
      if (now !== undefined && now.key !== slot.key) return true;
      if (waited >= KEY_CHANGE_WAIT_MS || this.#stopping) return false;
      await new Promise((r) => setTimeout(r, KEY_CHANGE_POLL_MS));
    }
  }

  /**
   * Reads the connection file again: the next engine started gets the key, address and socket
   * permissions it names now (a restarted controller rewrites it), and exit reports use its key.
   * An unreadable file leaves things as they were.
   */
  async #reread(): Promise<ConnectionInfo | undefined> {
    const now = await readConnectionFile(this.#o.file).catch(() => undefined);
    if (now) {
      this.#o = { ...this.#o, info: now };
      this.#key = now.key;
    }
    return now;
  }

  /** Starts a replacement, after a growing delay when engines keep dying right after start. */
  #restartLater(quick: boolean): void {
    this.#quickCrashes = quick ? this.#quickCrashes + 1 : 0;
    const delay = this.#quickCrashes <= 1 ? 0 : Math.min(100 * 2 ** this.#quickCrashes, 10_000);
    this.#o.log(
      `starting a replacement engine` +
        (delay ? ` in ${delay} ms (engines keep dying right after they start)` : ""),
    );
    const timer = setTimeout(async () => {
      await this.#reread(); // a replacement is started from the file as it is now
      this.#restartTimers.delete(timer);
      if (this.#stopping) {
        if (this.#slots.size === 0) this.#finish();
        return;
      }
      try {
        this.#spawn();
      } catch (error) {
        // e.g. the rewritten file moved where user code could read it: said, not thrown
        this.#o.log(`cannot start a replacement engine: ${(error as Error).message}`);
        this.#died++;
        if (this.#slots.size === 0 && this.#restartTimers.size === 0) this.#finish();
      }
    }, delay);
    this.#restartTimers.add(timer);
  }

  /**
   * Sends a signal to every engine process.
   *
   * @param signal The signal.
   */
  signal(signal: Deno.Signal): void {
    for (const s of this.#slots) {
      try {
        s.child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  /**
   * The last engine has ended and none will be restarted: closes the connection to the
   * controller (after sending the exit reports still queued on it; its reconnect loop would
   * otherwise keep the process alive for good), then resolves {@linkcode Supervisor.done}.
   */
  #finish(): void {
    if (this.#finishing) return;
    this.#finishing = true;
    const closed = this.#reporter?.close() ?? Promise.resolve();
    closed.catch(() => {}).finally(() => this.#allExited.resolve());
  }

  /** Stops every engine (SIGTERM, then SIGKILL after `graceMs`) and waits for them. */
  async stop(graceMs = 3000): Promise<void> {
    this.#stopping = true;
    for (const t of this.#restartTimers) clearTimeout(t);
    this.#restartTimers.clear();
    if (this.#slots.size === 0) {
      this.#finish();
    } else {
      this.signal("SIGTERM");
    }
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    await this.#allExited.promise;
    clearTimeout(timer);
  }

  /** Stops every engine. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
