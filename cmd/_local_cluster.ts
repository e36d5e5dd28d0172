/**
 * A local cluster in one process tree: the controller runs in this process, the engines in
 * child processes. Used by `ipx cluster start` and `ipx repl --local`.
 *
 * @module
 */

import type { Logger } from "../lib/controller/log.ts";
import { runController, type RunningController } from "../lib/controller/run_controller.ts";
import { assertKeyUnreachable, KeyReachableError } from "../lib/engine/key_reach.ts";
import { Supervisor } from "../lib/engine/supervisor.ts";
import { profilePaths } from "../lib/profile/mod.ts";
import { TimeoutError } from "../lib/protocol/errors.ts";
import { UsageError } from "./_usage.ts";

/** Options of {@linkcode startLocalCluster}. */
export interface LocalClusterOptions {
  /** Profile name. */
  profile: string;
  /** Profiles directory (a private temp dir for `repl --local`). */
  base?: string;
  /** Engines to start. */
  n: number;
  /** Engines' data dir. */
  dataDir: string;
  /** Extra paths user code may read. */
  allowRead?: string[];
  /** Extra paths user code may write. */
  allowWrite?: string[];
  /** Network access for user code (`true` = any). */
  allowNet?: boolean | string[];
  /** Environment access for user code (`true` = all). */
  allowEnv?: boolean | string[];
  /** Heap limit of each engine process (MiB). */
  maxMemoryMb?: number;
  /** Plain TCP. */
  noTls?: boolean;
  /** No local Unix socket: engines use TCP/TLS. */
  noIpc?: boolean;
  /** Replace engines that die. */
  restart?: boolean;
  /** Keep task history and the engine registry in memory only (none on disk). */
  noDb?: boolean;
  /** Default high-water mark of load-balanced tasks. @default "auto" */
  hwm?: number | "auto";
  /** Largest frame the controller accepts, in bytes. @default DEFAULT_MAX_FRAME_BYTES */
  maxFrameBytes?: number;
  /** Interval of the controller's heartbeat pings to engines. @default 1000 */
  heartbeatMs?: number;
  /** Silence after which the controller declares an engine dead. @default 5000 */
  deadAfterMs?: number;
  /** Log sink. */
  log: Logger;
  /** Bound on waiting for the engines. @default 60000 */
  timeoutMs?: number;
  /**
   * Called whenever the cluster's engines change after start: one registered (a replacement,
   * or one that registered again), or one's process ended. Read `engineIds` and `enginePids`
   * then.
   */
  onEnginesChanged?: () => void;
}

/** A running local cluster. */
export interface LocalCluster extends AsyncDisposable {
  /** The controller (in this process). */
  running: RunningController;
  /** The engine processes. */
  supervisor: Supervisor;
  /**
   * Ids of the engines registered with the controller now, without those whose process has
   * ended (the controller may not have noticed yet).
   */
  readonly engineIds: number[];
  /**
   * Pids of the engine processes running now (replacements included): the pid at index i runs
   * engine `engineIds[i]`; processes that have not registered (or whose registration this
   * process has not read yet) come last.
   */
  readonly enginePids: number[];
  /** Stops engines then the controller; leaves no process behind. */
  stop(): Promise<void>;
}

/**
 * Starts a controller here and `n` engine processes, and waits until all registered.
 *
 * @param o What to start.
 * @throws {UsageError} when the data dir contains the profile's security dir (user code could
 *   read the key); nothing is started then.
 */
export async function startLocalCluster(o: LocalClusterOptions): Promise<LocalCluster> {
  // checked before anything starts: a data dir holding the key is a configuration error
  await Deno.mkdir(o.dataDir, { recursive: true });
  const engineFile = profilePaths(o.profile, o.base).engineFile;
  try {
    assertKeyUnreachable({
      file: engineFile,
      dataDir: o.dataDir,
      ...(o.allowRead ? { allowRead: o.allowRead } : {}),
      ...(o.allowWrite ? { allowWrite: o.allowWrite } : {}),
    });
  } catch (error) {
    if (error instanceof KeyReachableError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  const running = await runController({
    profile: o.profile,
    ...(o.base ? { base: o.base } : {}),
    ...(o.noTls ? { noTls: true } : {}),
    ...(o.noIpc ? { noIpc: true } : {}),
    ...(o.noDb ? { noDb: true } : {}),
    ...(o.hwm !== undefined ? { hwm: o.hwm } : {}),
    ...(o.maxFrameBytes !== undefined ? { maxFrameBytes: o.maxFrameBytes } : {}),
    ...(o.heartbeatMs !== undefined ? { heartbeatMs: o.heartbeatMs } : {}),
    ...(o.deadAfterMs !== undefined ? { deadAfterMs: o.deadAfterMs } : {}),
    log: o.log,
  });
  /** Engines whose process ended (ids are never given again). */
  const exited = new Set<number>();
  const allUp = Promise.withResolvers<void>();
  let supervisor: Supervisor;
  // ready when n of its processes have registered as the controller sees it and as their
  // supervisor does (it reads each engine's id from its output, a moment later): only then
  // does `enginePids` pair every id with its process
  const check = () => {
    const ids = new Set(running.controller.engineIds);
    if (supervisor.registeredIds.filter((id) => ids.has(id)).length >= o.n) allUp.resolve();
  };
  const changed = () => {
    check();
    o.onEnginesChanged?.();
  };
  try {
    supervisor = new Supervisor({
      file: running.engineFile,
      info: { ...running.info, role: "engine" },
      n: o.n,
      dataDir: o.dataDir,
      ...(o.allowRead ? { allowRead: o.allowRead } : {}),
      ...(o.allowWrite ? { allowWrite: o.allowWrite } : {}),
      ...(o.allowNet !== undefined ? { allowNet: o.allowNet } : {}),
      ...(o.allowEnv !== undefined ? { allowEnv: o.allowEnv } : {}),
      ...(o.maxMemoryMb !== undefined ? { maxMemoryMb: o.maxMemoryMb } : {}),
      restart: !!o.restart,
      log: (line) => o.log("info", line),
      logRegistrations: false, // the controller logs them, with host and transport
      // the controller is in this process: exit reports go to it directly, not over a
      // connection of the cluster's own (which the log would show as a client)
      reportExits: (report) => running.controller.engineExited(report),
      onRegistered: changed,
      onExit: (engineId) => {
        if (engineId !== undefined) exited.add(engineId);
        o.onEnginesChanged?.();
      },
    });
  } catch (error) {
    await running.stop();
    throw error;
  }
  running.controller.events.addEventListener("engine-added", changed);
  const stop = async () => {
    running.controller.events.removeEventListener("engine-added", changed);
    await supervisor.stop();
    await running.stop();
  };
  try {
    supervisor.start();
    const timeoutMs = o.timeoutMs ?? 60_000;
    check();
    const timer = setTimeout(() =>
      allUp.reject(
        new TimeoutError(
          `Only ${running.controller.engineIds.length} of ${o.n} engines registered within ` +
            `${timeoutMs} ms; see the engine output above`,
        ),
      ), timeoutMs);
    supervisor.done.then(() =>
      allUp.reject(
        new Error("every engine process exited before the cluster was ready; see the output above"),
      )
    );
    try {
      await allUp.promise;
    } finally {
      clearTimeout(timer);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const liveIds = () => running.controller.engineIds.filter((id) => !exited.has(id));
  return {
    running,
    supervisor,
    get engineIds() {
      return liveIds();
    },
    get enginePids() {
      return supervisor.pidsInOrder(liveIds());
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
