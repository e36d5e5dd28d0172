/**
 * The controller: the hub every engine and client connects to. It authenticates connections,
 * registers engines (ids 0, 1, 2… never reused), routes tasks and their output, tracks
 * liveness, and keeps task records. It is transport-agnostic: {@linkcode Controller.accept}
 * takes any {@linkcode ByteConn}, so tests can drive it in memory.
 *
 * @module
 */

import type { Channel } from "../protocol/channel.ts";
import { type ErrorData, IpxError } from "../protocol/errors.ts";
import { serverHandshake } from "../protocol/handshake.ts";
import type {
  ClientToController,
  ControllerToClient,
  ControllerToEngine,
  EngineId,
  EngineInfo,
  EngineToController,
  MsgId,
  Query,
  SubmitTask,
  TaskResult,
} from "../protocol/messages.ts";
import type { ByteConn } from "../protocol/transport.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { EngineEntry } from "./engine_entry.ts";
import { HeartMonitor } from "./heart_monitor.ts";
import { LoadBalancer } from "./load_balancer.ts";
import { type Logger, silentLogger } from "./log.ts";
import { type TaskRecord, TaskStore, type TaskStoreLimits } from "./task_store.ts";

/** Options of {@linkcode Controller}. */
export interface ControllerOptions {
  /** Base64 shared key (from the connection files). */
  key: string;
  /** Interval of heartbeat pings to engines. @default 500 */
  heartbeatMs?: number;
  /** Silence after which an engine is declared dead. @default 2000 */
  deadAfterMs?: number;
  /** Time source. */
  clock?: Clock;
  /** Log sink. */
  log?: Logger;
  /** Frame size limit for authenticated connections. */
  maxFrameBytes?: number;
  /** Task record bounds. */
  storeLimits?: TaskStoreLimits;
  /** First engine id to assign (restored from persistent state). @default 0 */
  nextEngineId?: number;
}

type ClientChannel = Channel<ControllerToClient, ClientToController>;
type EngineChannel = Channel<ControllerToEngine, EngineToController>;

/** Error name of tasks lost with their engine. */
export const ENGINE_ERROR = "EngineError";

/** The controller core. */
export class Controller {
  #key: string;
  #clock: Clock;
  #log: Logger;
  #heartbeatMs: number;
  #heart: HeartMonitor;
  #maxFrameBytes: number | undefined;
  #engines = new Map<EngineId, EngineEntry>();
  #clients = new Map<number, ClientChannel>();
  #nextEngineId: number;
  #nextClientId = 1;
  #store: TaskStore;
  #lb: LoadBalancer;
  #stopTimer: () => void;
  #closing = false;
  #shutdownRequested = Promise.withResolvers<void>();
  #open = new Set<Channel<never, never>>();

  /** @param options Key, liveness timing, clock, logger, limits. */
  constructor(options: ControllerOptions) {
    this.#key = options.key;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger;
    this.#heartbeatMs = options.heartbeatMs ?? 500;
    this.#heart = new HeartMonitor(options.deadAfterMs ?? 2000);
    this.#maxFrameBytes = options.maxFrameBytes;
    this.#store = new TaskStore(options.storeLimits);
    this.#nextEngineId = options.nextEngineId ?? 0;
    this.#lb = new LoadBalancer({
      send: (engineId, msgId, task) => this.#dispatch(engineId, msgId, task),
      fail: (msgId, error) => this.#failTask(msgId, error, null),
      engines: () => this.#engines.keys(),
      now: () => this.#clock.now(),
    });
    this.#stopTimer = this.#clock.every(this.#heartbeatMs, () => this.#tick());
  }

  /** Ids of live engines, ascending. */
  get engineIds(): EngineId[] {
    return [...this.#engines.keys()].sort((a, b) => a - b);
  }

  /** The id the next engine will get (persisted so ids are never reused). */
  get nextEngineId(): EngineId {
    return this.#nextEngineId;
  }

  /** The task record store. */
  get store(): TaskStore {
    return this.#store;
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
    try {
      accepted = await serverHandshake<never, never>(conn, {
        key: this.#key,
        peer,
        ...(this.#maxFrameBytes ? { maxFrameBytes: this.#maxFrameBytes } : {}),
      });
    } catch (error) {
      this.#log("warn", `rejected connection from ${peer}: ${describe(error)}`);
      return;
    }
    const channel = accepted.channel;
    this.#open.add(channel);
    try {
      if (accepted.role === "engine") await this.#serveEngine(channel as EngineChannel, peer);
      else await this.#serveClient(channel as ClientChannel, peer);
    } finally {
      this.#open.delete(channel);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Engines

  async #serveEngine(channel: EngineChannel, peer: string): Promise<void> {
    let entry: EngineEntry | undefined;
    const handlers: {
      [K in EngineToController["type"]]: (m: Extract<EngineToController, { type: K }>) => void;
    } = {
      register: (m) => {
        if (entry) return;
        const id = this.#nextEngineId++;
        entry = {
          id,
          uuid: m.uuid,
          channel,
          running: new Set(),
          lbHeld: new Set(),
          completed: 0,
          info: {
            id,
            host: m.host,
            pid: m.pid,
            dataDir: m.dataDir,
            state: "idle",
            queue: 0,
            registeredAt: this.#clock.now(),
          },
        };
        this.#engines.set(id, entry);
        this.#heart.beat(id, this.#clock.now());
        channel.send({
          type: "registered",
          engineId: id,
          heartbeatMs: this.#heartbeatMs,
          deadAfterMs: this.#heart.deadAfterMs,
        });
        this.#log("info", `engine ${id} registered (pid ${m.pid} on ${m.host}, from ${peer})`);
        this.#broadcast({ type: "engine_registered", engine: { ...entry.info } });
        this.#lb.engineAdded(id);
      },
      started: (m) => {
        const rec = this.#store.get(m.msgId);
        if (!rec || !entry) return;
        rec.started = m.started;
        rec.status = "running";
        this.#toClient(rec.clientId, {
          type: "started",
          msgId: m.msgId,
          engineId: entry.id,
          started: m.started,
        });
      },
      stream: (m) => {
        const rec = this.#store.get(m.msgId);
        if (!rec || !entry) return;
        this.#toClient(rec.clientId, { ...m, engineId: entry.id });
      },
      result: (m) => {
        if (!entry) return;
        entry.running.delete(m.msgId);
        entry.completed++;
        const rec = this.#store.get(m.msgId);
        const result: TaskResult = {
          msgId: m.msgId,
          engineId: entry.id,
          ok: m.ok,
          executionCount: m.executionCount,
          submitted: rec?.submitted ?? m.started,
          started: m.started,
          completed: m.completed,
          ...(m.value ? { value: m.value } : {}),
          ...(m.error ? { error: { ...m.error, engineId: entry.id } } : {}),
        };
        if (entry.lbHeld.delete(m.msgId)) {
          if (this.#lb.taskFinished(entry.id, m.msgId, result)) return; // retried elsewhere
        }
        this.#complete(result);
      },
      interrupted: (m) => {
        this.#log("info", `engine ${entry?.id} interrupted ${m.msgIds.length} task(s)`);
      },
      pong: () => {},
    };
    const closed = await channel.run((msg) => {
      if (entry) this.#heart.beat(entry.id, this.#clock.now());
      (handlers[msg.type] as (m: EngineToController) => void)(msg);
    });
    if (entry && this.#engines.get(entry.id) === entry) {
      this.#engineGone(entry, closed ? `connection lost: ${describe(closed)}` : "disconnected");
    }
  }

  #engineGone(entry: EngineEntry, reason: string): void {
    this.#engines.delete(entry.id);
    this.#heart.forget(entry.id);
    entry.channel.close();
    this.#log("warn", `engine ${entry.id} unregistered: ${reason}`);
    this.#broadcast({ type: "engine_unregistered", engineId: entry.id, reason });
    const lost = [...entry.running];
    entry.running.clear();
    for (const msgId of lost) {
      const error: ErrorData = {
        ename: ENGINE_ERROR,
        evalue: `engine ${entry.id} died while running task ${msgId} (${reason})`,
        stack: "",
        engineId: entry.id,
      };
      if (entry.lbHeld.delete(msgId) && this.#lb.engineFailed(entry.id, msgId, error)) continue;
      this.#failTask(msgId, error, entry.id);
    }
    this.#lb.engineRemoved(entry.id);
  }

  #tick(): void {
    const now = this.#clock.now();
    for (const id of this.#heart.silent(now)) {
      const entry = this.#engines.get(id);
      if (entry) {
        this.#engineGone(
          entry,
          `no heartbeat for more than ${this.#heart.deadAfterMs} ms (hung, stopped or partitioned)`,
        );
      }
    }
    for (const entry of this.#engines.values()) entry.channel.send({ type: "ping", t: now });
    this.#lb.tick(now);
  }

  #dispatch(engineId: EngineId, msgId: MsgId, task: SubmitTask): boolean {
    const entry = this.#engines.get(engineId);
    if (!entry) return false;
    const rec = this.#store.get(msgId);
    if (rec) rec.engineId = engineId;
    entry.running.add(msgId);
    if (task.lb) entry.lbHeld.add(msgId);
    const timeoutMs = task.lb?.timeoutMs;
    entry.channel.send({ type: "run", msgId, op: task.op, ...(timeoutMs ? { timeoutMs } : {}) });
    if (rec && task.lb) {
      this.#toClient(rec.clientId, { type: "assigned", msgId, engineId });
    }
    return true;
  }

  #failTask(msgId: MsgId, error: ErrorData, engineId: EngineId | null): void {
    const rec = this.#store.get(msgId);
    const now = this.#clock.now();
    this.#complete({
      msgId,
      engineId: engineId ?? rec?.engineId ?? -1,
      ok: false,
      error,
      executionCount: 0,
      submitted: rec?.submitted ?? now,
      started: rec?.started ?? now,
      completed: now,
    });
  }

  #complete(result: TaskResult): void {
    const status = result.ok ? "ok" : result.error?.ename === "TaskAborted" ? "aborted" : "error";
    const rec = this.#store.finish(result.msgId, result, status);
    if (!rec) return;
    this.#toClient(rec.clientId, { type: "result", ...result });
    this.#lb.resultKnown(result);
  }

  // ------------------------------------------------------------------------------------------
  // Clients

  async #serveClient(channel: ClientChannel, peer: string): Promise<void> {
    const clientId = this.#nextClientId++;
    this.#clients.set(clientId, channel);
    this.#log("info", `client ${clientId} connected from ${peer}`);
    channel.send({ type: "engines", engines: this.#engineInfos() });
    const handlers: {
      [K in ClientToController["type"]]: (m: Extract<ClientToController, { type: K }>) => void;
    } = {
      submit: (m) => {
        for (const task of m.tasks) this.#submit(clientId, task);
      },
      interrupt: (m) => this.#interrupt(m.msgIds),
      abort: (m) => this.#abort(m.msgIds),
      query: (m) => {
        let reply: ControllerToClient;
        try {
          reply = {
            type: "reply",
            reqId: m.reqId,
            ok: true,
            value: this.#query(m.query, clientId),
          };
        } catch (error) {
          reply = {
            type: "reply",
            reqId: m.reqId,
            ok: false,
            error: { ename: errName(error), evalue: describe(error), stack: "" },
          };
        }
        channel.send(reply);
      },
      resume: (m) => {
        // re-attach tasks submitted by an earlier connection of this client
        for (const msgId of m.msgIds) {
          const rec = this.#store.get(msgId);
          if (!rec) continue;
          rec.clientId = clientId;
          if (rec.result) channel.send({ type: "result", ...rec.result });
        }
      },
      ping: (m) => channel.send({ type: "pong", t: m.t }),
    };
    const closed = await channel.run((msg) => {
      (handlers[msg.type] as (m: ClientToController) => void)(msg);
    });
    this.#clients.delete(clientId);
    this.#log("info", `client ${clientId} disconnected${closed ? `: ${describe(closed)}` : ""}`);
  }

  #submit(clientId: number, task: SubmitTask): void {
    const now = this.#clock.now();
    const rec: TaskRecord = {
      msgId: task.msgId,
      engineId: task.engineId ?? null,
      clientId,
      kind: task.op.kind,
      status: "queued",
      label: task.label ?? "",
      submitted: now,
      started: null,
      completed: null,
      result: null,
      bytes: 0,
    };
    if (this.#store.get(task.msgId)) {
      this.#toClient(clientId, {
        type: "reply",
        reqId: -1,
        ok: false,
        error: { ename: "ValueError", evalue: `duplicate msg id ${task.msgId}`, stack: "" },
      });
      return;
    }
    this.#store.add(rec);
    if (task.engineId === undefined) {
      this.#lb.submit(task);
      return;
    }
    if (!this.#dispatch(task.engineId, task.msgId, task)) {
      this.#failTask(task.msgId, {
        ename: ENGINE_ERROR,
        evalue: `engine ${task.engineId} is not registered (it died or never existed); ` +
          `live engines: ${this.engineIds.join(",") || "none"}`,
        stack: "",
        engineId: task.engineId,
      }, task.engineId);
    }
  }

  #interrupt(msgIds: MsgId[]): void {
    const byEngine = new Map<EngineId, MsgId[]>();
    for (const msgId of msgIds) {
      const rec = this.#store.get(msgId);
      if (rec?.engineId == null || rec.completed !== null) continue;
      const list = byEngine.get(rec.engineId) ?? [];
      list.push(msgId);
      byEngine.set(rec.engineId, list);
    }
    for (const [engineId, ids] of byEngine) {
      this.#engines.get(engineId)?.channel.send({ type: "interrupt", msgIds: ids });
    }
  }

  #abort(msgIds: MsgId[]): void {
    const queued = this.#lb.abort(msgIds);
    for (const msgId of queued) {
      this.#failTask(msgId, {
        ename: "TaskAborted",
        evalue: `task ${msgId} was aborted before it started`,
        stack: "",
      }, null);
    }
    const running = msgIds.filter((id) => !queued.includes(id));
    const byEngine = new Map<EngineId, MsgId[]>();
    for (const msgId of running) {
      const rec = this.#store.get(msgId);
      if (rec?.engineId == null || rec.completed !== null) continue;
      byEngine.set(rec.engineId, [...(byEngine.get(rec.engineId) ?? []), msgId]);
    }
    for (const [engineId, ids] of byEngine) {
      this.#engines.get(engineId)?.channel.send({ type: "abort", msgIds: ids });
    }
  }

  #query(q: Query, _clientId: number): unknown {
    switch (q.kind) {
      case "engines":
        return this.#engineInfos();
      case "queue_status": {
        const out: Record<string, unknown> = {};
        for (const e of this.#engines.values()) {
          out[String(e.id)] = {
            queue: e.running.size,
            completed: e.completed,
            tasks: e.lbHeld.size,
          };
        }
        out.unassigned = this.#lb.unassigned;
        return out;
      }
      case "get_results":
        return q.msgIds.map((msgId) => {
          const rec = this.#store.get(msgId);
          if (rec?.result) return rec.result;
          if (rec) return { msgId, pending: true };
          const why = this.#store.wasCulled(msgId)
            ? "its record was culled to keep the task store within bounds"
            : "no task with this id is known to the controller";
          return { msgId, missing: why };
        });
      case "db_query":
        return this.#store.query(q.filter, q.keys);
      case "history":
        return this.#store.history();
      case "purge": {
        return this.#store.purge(q.all ? undefined : q.msgIds ?? []);
      }
      case "shutdown": {
        const targets = q.targets ?? this.engineIds;
        for (const id of targets) this.#engines.get(id)?.channel.send({ type: "shutdown" });
        if (q.controller) queueMicrotask(() => this.#shutdownRequested.resolve());
        return targets;
      }
    }
  }

  #engineInfos(): EngineInfo[] {
    return this.engineIds.map((id) => {
      const e = this.#engines.get(id)!;
      return { ...e.info, queue: e.running.size, state: e.running.size > 0 ? "busy" : "idle" };
    });
  }

  #toClient(clientId: number, msg: ControllerToClient): void {
    this.#clients.get(clientId)?.send(msg);
  }

  #broadcast(msg: ControllerToClient): void {
    for (const c of this.#clients.values()) c.send(msg);
  }

  /** Closes every connection and stops timers. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#stopTimer();
    this.#lb.close();
    const channels = [...this.#open];
    await Promise.all(channels.map((c) => c.flush().catch(() => {})));
    for (const c of channels) c.close();
  }

  /** Closes the controller. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errName(error: unknown): string {
  return error instanceof IpxError || error instanceof Error ? error.name : "Error";
}
