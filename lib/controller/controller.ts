/**
 * The controller: the hub engines and clients connect to. It authenticates connections, registers
 * engines (ids 0, 1, 2… never reused while its registry lives, across restarts too), routes
 * tasks and output, tracks liveness, keeps task records in its state database (committed before
 * any frame it sends); takes any {@linkcode ByteConn} ({@linkcode Controller.accept}).
 *
 * Engine lifecycle: registered → (connection drops → disconnected → re-attached with the same
 * id and uuid) → dead. An engine is declared dead when it stays silent past its deadline
 * (`deadAfterMs` after it was last heard from), when it unregisters, or at once when its
 * supervisor reports that its process ended. Its unfinished tasks then fail with
 * `EngineError` naming the cause, or are retried elsewhere when they allow retries.
 *
 * Messages are handled in `engine_messages.ts` (engines) and `client_messages.ts` (clients).
 *
 * @module
 */

import type { Channel } from "../protocol/channel.ts";
import type { ErrorData } from "../protocol/errors.ts";
import { serverHandshake } from "../protocol/handshake.ts";
import type {
  ClientToController,
  ControllerToClient,
  EngineExitReport,
  EngineId,
  EngineToController,
  MsgId,
  SubmitTask,
  TaskResult,
} from "../protocol/messages.ts";
import type { ByteConn } from "../protocol/transport.ts";
import { DEFAULT_MAX_PENDING_AUTH, PendingAuthGate } from "./auth_gate.ts";
import {
  type ClientChannel,
  type ClientMessageDeps,
  clientMessageHandlers,
} from "./client_messages.ts";
import { answerQuery } from "./client_queries.ts";
import { type Clock, systemClock } from "./clock.ts";
import { type EngineChannel, type EngineEntry, sendToEngine } from "./engine_entry.ts";
import { EngineRegistry } from "./engine_registry.ts";
import {
  ENGINE_ERROR,
  failedResult,
  lostInRestart,
  refusedError,
  TASK_LOST,
} from "./task_errors.ts";
import { answerTooLarge } from "./too_large.ts";
import { describeRefusal, handlerFor, screenClientMessage, type Screened } from "./validate.ts";
import { EngineTable } from "./engine_table.ts";
import { dropEnginesOfOldKey } from "./key_epoch.ts";
import { type EngineMessageHandlers, engineMessageHandlers } from "./engine_messages.ts";
import { LoadBalancer } from "./load_balancer.ts";
import { type Logger, silentLogger } from "./log.ts";
import { StateDb } from "./state_db.ts";
import type { ControllerOptions } from "./controller_options.ts";
import { type TaskRecord, TaskStore } from "./task_store.ts";
import { describe } from "./describe_error.ts";
import { RejectLog } from "./reject_log.ts";

export { type ControllerOptions, ENGINE_ERROR, TASK_LOST };

/** The controller core. */
export class Controller {
  #key: string;
  #clock: Clock;
  #log: Logger;
  #maxFrameBytes: number | undefined;
  #frameTimeoutMs: number | undefined;
  #authGate: PendingAuthGate;
  #rejectLog: RejectLog;
  #table: EngineTable;
  #engines: EngineRegistry;
  #clients = new Map<number, ClientChannel>();
  #nextClientId = 1;
  #sdb: StateDb;
  #ownsDb: boolean;
  #store: TaskStore;
  #lb: LoadBalancer;
  #engineHandlers: EngineMessageHandlers;
  #clientDeps: ClientMessageDeps;
  #stopTimer: () => void;
  #closing = false;
  #shutdownRequested = Promise.withResolvers<void>();
  #open = new Set<Channel<never, never>>();

  /** @param options Key, liveness timing, clock, logger, limits, database. */
  constructor(options: ControllerOptions) {
    this.#key = options.key;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger;
    this.#maxFrameBytes = options.maxFrameBytes;
    this.#frameTimeoutMs = options.frameTimeoutMs;
    this.#authGate = new PendingAuthGate(
      options.maxPendingAuth ?? DEFAULT_MAX_PENDING_AUTH,
      this.#log,
      () => this.#clock.monotonic(),
    );
    this.#rejectLog = new RejectLog(this.#log, this.#clock);
    this.#ownsDb = !(options.db instanceof StateDb);
    this.#sdb = options.db instanceof StateDb ? options.db : new StateDb(options.db);
    this.#store = new TaskStore(this.#sdb, {
      ...options.storeLimits,
      after: (ms, fn) => this.#clock.after(ms, fn),
    });
    const heartbeatMs = options.heartbeatMs ?? 1000;
    this.#table = new EngineTable(this.#sdb);
    dropEnginesOfOldKey(this.#sdb, this.#table, options.key, this.#log);
    this.#engines = new EngineRegistry(this.#table, {
      clock: this.#clock,
      log: this.#log,
      broadcast: (msg) => this.#broadcast(msg),
      lost: (entry, msgId, error, unstarted, planned) =>
        this.#loseTask(entry, msgId, error, unstarted, planned),
      started: (msgId) => this.#store.get(msgId)?.status === "running",
      added: (id) => {
        this.#lb.engineAdded(id);
        this.events.dispatchEvent(new Event("engine-added"));
      },
      removed: (id) => this.#lb.engineRemoved(id),
    }, {
      heartbeatMs,
      deadAfterMs: options.deadAfterMs ?? 5000,
      restoreGraceMs: options.restoreGraceMs ?? 10_000,
    }, this.#store.completedByEngine());
    this.#lb = new LoadBalancer({
      send: (engineId, msgId, task) => this.#dispatch(engineId, msgId, task),
      fail: (msgId, error) => this.#failTask(msgId, error, null),
      engines: () => this.#engines.usable(),
      registered: (id) => this.#engines.get(id) !== undefined,
      outcome: (msgId) => this.#store.outcome(msgId),
      now: () => this.#clock.monotonic(),
    }, {
      ...(options.hwm !== undefined ? { hwm: options.hwm } : {}),
      ...(options.replacementWaitMs !== undefined
        ? { replacementWaitMs: options.replacementWaitMs }
        : {}),
    });
    this.#engineHandlers = engineMessageHandlers({
      store: this.#store,
      engines: this.#engines,
      lb: this.#lb,
      log: this.#log,
      notify: (rec, msg) => this.#notify(rec, msg),
      complete: (result) => this.#complete(result),
    });
    this.#clientDeps = {
      store: this.#store,
      engines: this.#engines,
      lb: this.#lb,
      clock: this.#clock,
      dispatch: (engineId, msgId, task) => this.#dispatch(engineId, msgId, task),
      fail: (msgId, error, engineId) => this.#failTask(msgId, error, engineId),
      query: (q) => this.#query(q),
      toClient: (clientId, msg) => this.#toClient(clientId, msg),
    };
    this.#settleRestoredTasks();
    // deaths are checked more often than pings go out, so an engine is declared dead at most
    // a tenth of deadAfterMs (or a heartbeat, if shorter) after its deadline
    const deadAfterMs = this.#engines.deadAfterMs;
    const reapMs = Math.min(heartbeatMs, Math.max(25, Math.floor(deadAfterMs / 10)));
    const stopPing = this.#clock.every(heartbeatMs, () => this.#engines.ping());
    const stopReap = this.#clock.every(reapMs, () => {
      this.#engines.reap(reapMs);
      this.#lb.tick();
    });
    this.#stopTimer = () => {
      stopPing();
      stopReap();
    };
  }

  /** After a restart: tasks of restored engines wait for them; the others cannot finish. */
  #settleRestoredTasks(): void {
    for (const rec of this.#engines.adopt([...this.#store.live()])) {
      const error = lostInRestart(rec.msgId, rec.engineId);
      // its retries went with the old controller: its client may spend one (see `retriable`)
      if (rec.lb && rec.engineId !== null) error.retriable = true;
      this.#failTask(rec.msgId, error, rec.engineId);
    }
  }

  /**
   * Ids of registered engines (connected, or briefly disconnected), ascending. Engines restored
   * after a restart count once they re-attach.
   */
  get engineIds(): EngineId[] {
    return this.#engines.ids;
  }

  /** The id the next new engine will get (ids are never reused). */
  get nextEngineId(): EngineId {
    return this.#engines.nextId;
  }

  /** Fires `engine-added` when an engine registers or re-attaches. */
  readonly events: EventTarget = new EventTarget();

  /** The task record store. */
  get store(): TaskStore {
    return this.#store;
  }

  /**
   * After a clean shutdown with no engine registered and no task record (records name engines
   * by id), forgets the registry so the next controller for this profile starts at id 0.
   * @returns Whether the registry was reset.
   */
  resetIfNoEngines(): boolean {
    if (this.engineIds.length > 0 || this.#store.size > 0) return false;
    this.#table.reset();
    return true;
  }

  /**
   * Takes the report that an engine process ended, with the cause its supervisor saw: what a
   * supervisor's `engine_exited` message carries. A supervisor in this process (a local
   * cluster's) calls it directly instead of connecting to its own controller.
   *
   * @param report The engine's id (when it had registered), its pid and host, and how it ended.
   */
  engineExited(report: EngineExitReport): void {
    this.#engines.exited({ type: "engine_exited", ...report });
  }

  /** The state database. */
  get db(): StateDb {
    return this.#sdb;
  }

  /** Resolves when a client asked the controller to shut down. */
  get shutdownRequested(): Promise<void> {
    return this.#shutdownRequested.promise;
  }

  /**
   * Authenticates a new connection and serves it until it closes. Never throws: failures are
   * logged with the peer address and the connection is closed with no state kept.
   *
   * @param conn The accepted byte stream.
   * @param peer The peer's address, for logs.
   */
  async accept(conn: ByteConn, peer: string): Promise<void> {
    if (this.#closing) {
      conn.close();
      return;
    }
    let accepted;
    const admitted = this.#authGate.enter(peer, () => conn.close());
    try {
      accepted = await serverHandshake<never, never>(conn, {
        key: this.#key,
        peer,
        beforeFlush: () => this.#store.commit(),
        ...(this.#maxFrameBytes ? { maxFrameBytes: this.#maxFrameBytes } : {}),
        ...(this.#frameTimeoutMs ? { frameTimeoutMs: this.#frameTimeoutMs } : {}),
      });
    } catch (error) {
      this.rejected(peer, describe(error));
      return;
    } finally {
      admitted();
    }
    const channel = accepted.channel;
    if (this.#closing) {
      channel.close();
      return;
    }
    answerTooLarge(channel, (m) => this.#log("warn", `${m} for ${peer}`));
    this.#open.add(channel);
    try {
      if (accepted.role === "engine") await this.#serveEngine(channel as EngineChannel, peer);
      else await this.#serveClient(channel as ClientChannel, peer);
    } finally {
      this.#open.delete(channel);
    }
  }

  /**
   * Logs a connection refused before it authenticated (here, or by the TLS listener): the
   * first few in every 10 s in full, the rest counted and summarised (see `reject_log.ts`).
   *
   * @param peer The peer's address.
   * @param reason Why it was refused.
   */
  rejected(peer: string, reason: string): void {
    this.#rejectLog.rejected(peer, reason);
  }

  // ------------------------------------------------------------------------------------------
  // Engines

  async #serveEngine(channel: EngineChannel, peer: string): Promise<void> {
    let entry: EngineEntry | undefined;
    const closed = await channel.run((msg) => {
      if (msg.type === "register") {
        entry ??= this.#engines.register(channel, msg, peer);
        return;
      }
      const e = this.#engines.current(entry, channel);
      if (e) this.#engines.beat(e);
      (handlerFor(this.#engineHandlers, msg.type) as (
        m: EngineToController,
        e?: EngineEntry,
      ) => void)(
        msg,
        e,
      );
    });
    const e = this.#engines.current(entry, channel);
    if (e) this.#engines.detached(e, closed ? describe(closed) : "connection closed");
  }

  /** Fails (or retries elsewhere) a task an engine held but will not finish. */
  #loseTask(
    entry: EngineEntry,
    msgId: MsgId,
    error: ErrorData,
    unstarted = false,
    planned = false,
  ): void {
    entry.running.delete(msgId);
    if (entry.lbHeld.delete(msgId)) {
      if (!this.#lb.knows(msgId)) {
        // restored after a restart: the load balancer has no copy to retry; its client may
        if (error.ename === ENGINE_ERROR) error = { ...error, retriable: true };
      } else if (this.#lb.engineFailed(entry.id, msgId, error, unstarted, planned)) return;
    }
    this.#failTask(msgId, error, entry.id);
  }

  #dispatch(engineId: EngineId, msgId: MsgId, task: SubmitTask): boolean {
    const entry = this.#engines.get(engineId);
    if (!entry) return false;
    const rec = this.#store.get(msgId);
    if (rec) {
      rec.engineId = engineId;
      this.#store.touch(rec, true);
    }
    entry.running.add(msgId);
    if (task.lb) entry.lbHeld.add(msgId);
    const timeoutMs = task.lb?.timeoutMs;
    sendToEngine(entry, {
      type: "run",
      msgId,
      op: task.op,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    if (rec && task.lb) this.#notify(rec, { type: "assigned", msgId, engineId });
    return true;
  }

  #failTask(msgId: MsgId, error: ErrorData, engineId: EngineId | null): void {
    const rec = this.#store.get(msgId);
    this.#complete(
      failedResult(msgId, error, engineId ?? rec?.engineId ?? -1, {
        submitted: rec?.submitted,
        started: rec?.started,
        completed: this.#clock.now(),
      }),
    );
  }

  #complete(result: TaskResult): void {
    const ename = result.error?.ename ?? null;
    const status = result.ok ? "ok" : ename === "TaskAborted" ? "aborted" : "error";
    const rec = this.#store.finish(result.msgId, result, status);
    if (!rec) return;
    this.#notify(rec, { type: "result", ...result });
    this.#lb.resultKnown(result.msgId, { ok: result.ok, engineId: result.engineId, ename });
  }

  // ------------------------------------------------------------------------------------------
  // Clients

  async #serveClient(channel: ClientChannel, peer: string): Promise<void> {
    const clientId = this.#nextClientId++;
    this.#clients.set(clientId, channel);
    this.#log("info", `client ${clientId} connected from ${peer}`);
    const restoring = this.#engines.restoring;
    channel.send({
      type: "engines",
      engines: this.#engines.infos(),
      ...(restoring.length ? { restoring } : {}),
    });
    const handlers = clientMessageHandlers(this.#clientDeps, clientId, channel);
    const closed = await channel.run((msg) => {
      const screened = screenClientMessage(
        msg as unknown as { type: string } & Record<string, unknown>,
      );
      if (screened.refusedTasks.length > 0 || screened.refusedQuery) {
        this.#refuse(clientId, channel, screened);
      }
      if (!screened.handle) return;
      (handlerFor(handlers, screened.handle.type) as (m: ClientToController) => void)(
        screened.handle as unknown as ClientToController,
      );
    });
    this.#clients.delete(clientId);
    this.#log("info", `client ${clientId} disconnected${closed ? `: ${describe(closed)}` : ""}`);
  }

  /** Answers a client's malformed tasks and query by id; the connection stays up. */
  #refuse(clientId: number, channel: ClientChannel, screened: Screened): void {
    const now = this.#clock.now();
    for (const { msgId, reason } of screened.refusedTasks) {
      const error = refusedError(reason);
      channel.send({ type: "result", ...failedResult(msgId, error, -1, { completed: now }) });
    }
    const q = screened.refusedQuery;
    if (q) {
      channel.send({ type: "reply", reqId: q.reqId, ok: false, error: refusedError(q.reason) });
    }
    this.#log("warn", `client ${clientId}: refused ${describeRefusal(screened)}`);
  }

  #query(q: Extract<ClientToController, { type: "query" }>["query"]): unknown {
    return answerQuery(q, {
      engineInfos: () => this.#engines.infos(),
      engineQueues: () => this.#engines.queues(),
      unassigned: () => this.#lb.unassigned,
      store: this.#store,
      shutdown: (targets, controller) => {
        const ids = targets ?? this.engineIds;
        const unknown = ids.filter((id) => this.#engines.get(id) === undefined);
        if (unknown.length > 0) { // nothing is stopped: a typo must not stop only some
          throw new RangeError(
            `Cannot shut down engine(s) ${unknown.join(", ")}: no such engine is registered ` +
              `(engines: ${this.engineIds.join(", ") || "none"}); nothing was stopped`,
          );
        }
        for (const id of ids) sendToEngine(this.#engines.get(id)!, { type: "shutdown" });
        if (controller) {
          // every client stops reconnecting: this stop is for good (not a crash or a restart)
          this.#broadcast({
            type: "shutdown",
            reason: "a client asked it to (shutdown({ controller: true }))",
          });
          queueMicrotask(() => this.#shutdownRequested.resolve());
        }
        return ids;
      },
    });
  }

  /** Sends a task's news to the client that submitted it and to those following it. */
  #notify(rec: TaskRecord, msg: ControllerToClient): void {
    this.#clients.get(rec.clientId)?.send(msg);
    if (rec.watchers) { for (const id of rec.watchers) this.#clients.get(id)?.send(msg); }
  }

  #toClient(clientId: number, msg: ControllerToClient): void {
    this.#clients.get(clientId)?.send(msg);
  }

  #broadcast(msg: ControllerToClient): void {
    for (const c of this.#clients.values()) c.send(msg);
  }

  /** Closes every connection, stops timers, writes pending records and closes the database. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#stopTimer();
    this.#engines.close();
    this.#lb.close();
    this.#authGate.closeAll();
    this.#rejectLog.close();
    const channels = [...this.#open];
    await Promise.all(channels.map((c) => c.flush().catch(() => {})));
    for (const c of channels) c.close();
    await this.#store.close();
    if (this.#ownsDb) this.#sdb.close();
  }

  /** Closes the controller. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
