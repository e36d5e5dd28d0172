/**
 * The controller's engines and their lifecycle:
 *
 * ```text
 * register ──► connected ──(connection drops)──► disconnected ──(re-attach: same id+uuid)──┐
 *                 ▲                                   │                                     │
 *                 └───────────────────────────────────┼─────────────────────────────────────┘
 *                                                     ▼
 *   dead ◄── silent past its deadline │ unregistered │ its supervisor reported its exit
 * ```
 *
 * Engines alive when the controller stopped are restored as disconnected, with
 * `restoreGraceMs` to re-attach. Until they do, clients do not see them (`ids`, `infos()`)
 * and the load balancer does not use them, but direct tasks addressed to them wait for them. Ids are never reused (persisted in the {@linkcode EngineTable}),
 * so an engine declared dead that comes back (SIGSTOP, then SIGCONT) gets a new id.
 * An engine that re-attaches has its tasks reconciled (see `engine_reattach.ts`).
 *
 * @module
 */

import { IpxError } from "../protocol/errors.ts";
import type {
  ClientToController,
  EngineId,
  EngineInfo,
  EngineToController,
  MsgId,
} from "../protocol/messages.ts";
import type { EngineQueue } from "./client_queries.ts";
import type { EngineChannel, EngineEntry } from "./engine_entry.ts";
import { reconcileReattached } from "./engine_reattach.ts";
import type { RegistryHooks, RegistryTiming } from "./engine_registry_deps.ts";
import type { EngineTable } from "./engine_table.ts";
import { HeartMonitor } from "./heart_monitor.ts";
import { ENGINE_ERROR } from "./task_errors.ts";
import type { TaskRecord } from "./task_store.ts";

export type { RegistryHooks, RegistryTiming } from "./engine_registry_deps.ts";

type Register = Extract<EngineToController, { type: "register" }>;
type Exited = Extract<ClientToController, { type: "engine_exited" }>;

/**
 * Lateness of a liveness check (beyond its interval) under which it is taken as timer jitter,
 * not a stall of the controller (see {@linkcode EngineRegistry.reap}).
 */
export const STALL_TOLERANCE_MS = 100;

/** The registered engines. */
export class EngineRegistry {
  #engines = new Map<EngineId, EngineEntry>();
  #table: EngineTable;
  #hooks: RegistryHooks;
  #timing: RegistryTiming;
  #heart: HeartMonitor;
  #nextId: EngineId;
  /** When {@linkcode reap} last ran (to notice the controller's own stalls). */
  #lastReap: number | undefined;

  /**
   * Loads the engines alive at the last stop as disconnected entries.
   *
   * @param table Persistence.
   * @param hooks Controller callbacks.
   * @param timing Liveness timing.
   * @param completed Finished-task counts per engine (from the task records).
   */
  constructor(
    table: EngineTable,
    hooks: RegistryHooks,
    timing: RegistryTiming,
    completed: Map<EngineId, number>,
  ) {
    this.#table = table;
    this.#hooks = hooks;
    this.#timing = timing;
    this.#heart = new HeartMonitor(timing.deadAfterMs);
    this.#nextId = table.nextId();
    const deadline = hooks.clock.monotonic() + timing.restoreGraceMs;
    for (const row of table.alive()) {
      this.#engines.set(row.id, {
        ...blankEntry(row.id, row.uuid, null),
        completed: completed.get(row.id) ?? 0,
        restored: true,
        info: {
          id: row.id,
          host: row.host,
          pid: row.pid,
          dataDir: row.dataDir,
          state: "disconnected",
          queue: 0,
          registeredAt: row.registeredAt,
        },
      });
      this.#heart.grant(row.id, deadline);
    }
    if (this.#engines.size > 0) {
      hooks.log(
        "info",
        `restored ${this.#engines.size} engine(s) (${[...this.#engines.keys()].join(", ")}); ` +
          `waiting up to ` +
          `${timing.restoreGraceMs} ms for them to re-attach`,
      );
    }
  }

  /** Registered ids, ascending (restored engines count once they re-attach). */
  get ids(): EngineId[] {
    return [...this.#engines.values()].filter((e) => !e.restored).map((e) => e.id)
      .sort((a, b) => a - b);
  }

  /** Engines restored after a restart that have not re-attached yet, ascending. */
  get restoring(): EngineId[] {
    return [...this.#engines.values()].filter((e) => e.restored).map((e) => e.id)
      .sort((a, b) => a - b);
  }

  /** The id the next new engine gets. */
  get nextId(): EngineId {
    return this.#nextId;
  }

  /** The silence limit. */
  get deadAfterMs(): number {
    return this.#heart.deadAfterMs;
  }

  /** Ids of engines that can take load-balanced tasks (restored ones once re-attached). */
  *usable(): IterableIterator<EngineId> {
    for (const e of this.#engines.values()) if (!e.restored) yield e.id;
  }

  /** Registered engines. */
  entries(): IterableIterator<EngineEntry> {
    return this.#engines.values();
  }

  /**
   * An engine by id, while registered.
   *
   * @param id Engine id.
   */
  get(id: EngineId): EngineEntry | undefined {
    return this.#engines.get(id);
  }

  /**
   * The entry while `channel` is its current connection (stale channels get undefined).
   *
   * @param entry The entry the channel registered as.
   * @param channel The channel.
   */
  current(entry: EngineEntry | undefined, channel: EngineChannel): EngineEntry | undefined {
    return entry && entry.channel === channel && this.#engines.get(entry.id) === entry
      ? entry
      : undefined;
  }

  /**
   * Gives restored engines the unfinished tasks they held before a restart.
   *
   * @param records Unfinished task records.
   * @returns The records no registered engine holds (the caller settles them).
   */
  adopt(records: readonly TaskRecord[]): TaskRecord[] {
    const orphans: TaskRecord[] = [];
    for (const rec of records) {
      const entry = rec.engineId === null ? undefined : this.#engines.get(rec.engineId);
      if (!entry) {
        orphans.push(rec);
        continue;
      }
      entry.running.add(rec.msgId);
      if (rec.lb) entry.lbHeld.add(rec.msgId);
    }
    return orphans;
  }

  /** Per-engine queue counts of the visible engines, by id. */
  queues(): Map<EngineId, EngineQueue> {
    const out = new Map<EngineId, EngineQueue>();
    for (const id of this.ids) {
      const e = this.#engines.get(id)!;
      out.set(id, {
        queue: e.running.size - e.lbHeld.size,
        completed: e.completed,
        tasks: e.lbHeld.size,
      });
    }
    return out;
  }

  /**
   * Records that an engine was heard from.
   *
   * @param entry The engine.
   */
  beat(entry: EngineEntry): void {
    this.#heart.beat(entry.id, this.#hooks.clock.monotonic());
    entry.bytesSeen = entry.channel?.bytesRead ?? 0; // only bytes after this one count again
  }

  /**
   * Handles a `register`: re-attaches an engine that comes back with its id and uuid, else
   * registers a new engine. Refuses (closes) a uuid already registered under another id.
   *
   * @param channel Its connection.
   * @param m The register message.
   * @param peer Its address, for logs.
   * @returns The entry, or undefined when refused.
   */
  register(channel: EngineChannel, m: Register, peer: string): EngineEntry | undefined {
    const prev = m.previousId === undefined ? undefined : this.#engines.get(m.previousId);
    if (prev && prev.uuid === m.uuid) return this.#reattach(prev, channel, m);
    for (const e of this.#engines.values()) {
      if (e.uuid === m.uuid) {
        this.#hooks.log("warn", `refused engine from ${peer}: uuid ${m.uuid} is engine ${e.id}'s`);
        channel.close(new IpxError(`uuid ${m.uuid} is already registered as engine ${e.id}`));
        return undefined;
      }
    }
    const now = this.#hooks.clock.now();
    const id = this.#nextId++;
    const entry: EngineEntry = {
      ...blankEntry(id, m.uuid, channel),
      info: {
        id,
        host: m.host,
        pid: m.pid,
        dataDir: m.dataDir,
        state: "idle",
        queue: 0,
        registeredAt: now,
      },
    };
    this.#table.registered({ ...entry.info, uuid: m.uuid }, this.#nextId);
    this.#engines.set(id, entry);
    this.#heart.beat(id, this.#hooks.clock.monotonic());
    entry.bytesSeen = channel.bytesRead;
    channel.send(this.#registered(id, false));
    const was = m.previousId === undefined
      ? ""
      : `; it was engine ${m.previousId}, which had been declared dead, so it gets a new id`;
    this.#hooks.log(
      "info",
      `engine ${id} registered (pid ${m.pid} on ${m.host}, from ${peer})${was}`,
    );
    this.#hooks.broadcast({ type: "engine_registered", engine: this.infoOf(entry) });
    this.#hooks.added(id);
    return entry;
  }

  #registered(engineId: EngineId, resumed: boolean) {
    return {
      type: "registered" as const,
      engineId,
      heartbeatMs: this.#timing.heartbeatMs,
      deadAfterMs: this.#heart.deadAfterMs,
      resumed,
    };
  }

  #reattach(entry: EngineEntry, channel: EngineChannel, m: Register): EngineEntry {
    const old = entry.channel;
    entry.channel = channel;
    old?.close();
    const restored = entry.restored;
    entry.restored = false;
    entry.info.pid = m.pid;
    this.#heart.beat(entry.id, this.#hooks.clock.monotonic());
    entry.bytesSeen = channel.bytesRead;
    channel.send(this.#registered(entry.id, true));
    reconcileReattached(entry, channel, m, restored, this.#hooks);
    if (restored) {
      this.#hooks.broadcast({ type: "engine_registered", engine: this.infoOf(entry) });
      this.#hooks.added(entry.id);
    }
    return entry;
  }

  /**
   * The engine's connection closed: it is dead at once if its process is known to have
   * ended, else disconnected until it re-attaches or its deadline passes.
   *
   * @param entry The engine (current for that channel).
   * @param why Why the connection closed.
   */
  detached(entry: EngineEntry, why: string): void {
    entry.channel = null;
    if (entry.exitReason !== undefined) return this.gone(entry, entry.exitReason);
    this.#hooks.log(
      "warn",
      `engine ${entry.id} disconnected (${why}); it has ${this.#heart.deadAfterMs} ms to re-attach`,
    );
  }

  /**
   * Declares an engine dead: it leaves the registry for good and its tasks are settled.
   *
   * @param entry The engine.
   * @param reason The cause, named in every EngineError.
   * @param planned The engine said it was stopping (its process was told to stop, e.g. by
   *   `ipx cluster stop`): logged as information, not as a warning.
   */
  gone(entry: EngineEntry, reason: string, planned = false): void {
    if (this.#engines.get(entry.id) !== entry) return;
    this.#engines.delete(entry.id);
    this.#heart.forget(entry.id);
    entry.exitTimer?.();
    entry.channel?.close();
    entry.channel = null;
    entry.outbox = [];
    entry.info.state = "dead";
    this.#table.died(entry.id, reason);
    if (planned) this.#hooks.log("info", `engine ${entry.id} left: ${reason}`);
    else this.#hooks.log("warn", `engine ${entry.id} is dead: ${reason}`);
    // also a restored engine that never re-attached: clients connected before the restart
    // knew it (they were told it was restoring when they reconnected)
    this.#hooks.broadcast({ type: "engine_unregistered", engineId: entry.id, reason });
    // an engine runs the tasks it holds one at a time, in the order it got them, and announces
    // a task as started only after a while (STARTED_AFTER_MS): once its process is known to
    // have ended (its supervisor said so) or it said it was stopping, the first task it held may
    // have started unannounced, the ones behind it had not (unless announced). An engine only
    // gone silent or cut off may still be running its queue: its tasks all fail (or retry).
    const over = planned || entry.exitReason !== undefined;
    let first = true;
    for (const msgId of [...entry.running]) {
      const unstarted = over && !first && !this.#hooks.started(msgId);
      first = false;
      this.#hooks.lost(
        entry,
        msgId,
        {
          ename: ENGINE_ERROR,
          evalue: unstarted
            ? `engine ${entry.id} died before task ${msgId} started on it (it was queued ` +
              `there): ${reason}`
            : `engine ${entry.id} died while running task ${msgId}: ${reason}`,
          stack: "",
          engineId: entry.id,
        },
        unstarted,
        planned,
      );
    }
    this.#hooks.removed(entry.id);
  }

  /**
   * A supervisor reported that an engine process ended: the engine is dead once its last
   * messages are read (its connection closes), or after a short wait.
   *
   * @param m The report.
   */
  exited(m: Exited): void {
    let entry = m.engineId === undefined ? undefined : this.#engines.get(m.engineId);
    if (entry && entry.info.pid !== m.pid) entry = undefined;
    entry ??= [...this.#engines.values()].find((e) =>
      e.info.pid === m.pid && e.info.host === m.host
    );
    if (!entry || entry.exitReason !== undefined) return;
    const how = `its process ended: ${m.how}`;
    entry.exitReason = how;
    if (entry.channel === null) return this.gone(entry, how);
    const e = entry;
    e.exitTimer = this.#hooks.clock.after(Math.min(300, this.#heart.deadAfterMs), () => {
      this.gone(e, how);
    });
  }

  /**
   * Declares dead the engines silent past their deadline.
   *
   * @param intervalMs How often the caller runs this check: a check that comes much later than
   * that (more than the interval, or {@linkcode STALL_TOLERANCE_MS}, late) means the controller
   * itself was not running, and every deadline moves back by the lateness first.
   */
  reap(intervalMs?: number): void {
    const now = this.#hooks.clock.monotonic();
    const ms = this.#heart.deadAfterMs;
    const last = this.#lastReap;
    this.#lastReap = now;
    // the controller itself was stalled (stopped with SIGSTOP, a suspended VM, a starved or
    // busy event loop) when this check comes much later than asked: the engines' beats of that
    // time may be waiting unread, so the stall does not count against them
    const late = intervalMs === undefined || last === undefined ? 0 : now - last - intervalMs;
    if (late > Math.max(intervalMs ?? 0, STALL_TOLERANCE_MS)) {
      this.#heart.postpone(late);
      if (this.#engines.size > 0 && late >= ms / 2) {
        this.#hooks.log(
          "warn",
          `the controller did not run for ${Math.round(late)} ms (stopped, suspended, or its ` +
            `machine overloaded); engines get that time back before any is declared dead`,
        );
      }
    }
    // bytes still arriving are a sign of life: a big message counts only once whole, and the
    // engine's beats queue behind it on the way
    for (const e of this.#engines.values()) {
      const read = e.channel?.bytesRead;
      if (read !== undefined && read !== e.bytesSeen) {
        e.bytesSeen = read;
        this.#heart.beat(e.id, now);
      }
    }
    for (const id of this.#heart.silent(now)) {
      const entry = this.#engines.get(id);
      if (!entry) continue;
      const reason = entry.exitReason ??
        (entry.restored
          ? `it did not re-attach within ${this.#timing.restoreGraceMs} ms of the controller restart`
          : entry.channel
          ? `no heartbeat for more than ${ms} ms (hung, stopped, or cut off from the controller)`
          : `its connection dropped and it did not re-attach within ${ms} ms`);
      this.gone(entry, reason);
    }
  }

  /** Pings the connected engines (they answer with a pong, which counts as a beat). */
  ping(): void {
    const t = this.#hooks.clock.now();
    for (const entry of this.#engines.values()) entry.channel?.send({ type: "ping", t });
  }

  /**
   * Public description of an engine, with its current load.
   *
   * @param e The engine.
   */
  infoOf(e: EngineEntry): EngineInfo {
    return {
      ...e.info,
      queue: e.running.size,
      state: e.channel === null ? "disconnected" : e.running.size > 0 ? "busy" : "idle",
    };
  }

  /** Every registered engine's description, ascending by id. */
  infos(): EngineInfo[] {
    return this.ids.map((id) => this.infoOf(this.#engines.get(id)!));
  }

  /** Cancels pending timers. */
  close(): void {
    for (const e of this.#engines.values()) e.exitTimer?.();
  }
}

function blankEntry(id: EngineId, uuid: string, channel: EngineChannel | null) {
  return {
    id,
    uuid,
    channel,
    outbox: [],
    running: new Set<MsgId>(),
    lbHeld: new Set<MsgId>(),
    completed: 0,
    restored: false,
    exitReason: undefined,
    exitTimer: undefined,
    bytesSeen: 0,
  };
}
