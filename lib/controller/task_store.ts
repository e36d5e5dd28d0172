/**
 * The controller's task records: what was submitted, where it ran, how it ended, and its
 * result. Records live in the `tasks` table of the {@linkcode StateDb} (a file in the profile,
 * so they survive a controller restart); unfinished records are also kept in memory, where the
 * controller updates them on every message.
 *
 * Writes are batched: new and updated records are written to SQLite together in one transaction,
 * at the latest `flushMs` after they changed. Before that, at the end of the current round of
 * I/O and before any frame the controller sends (see {@linkcode TaskStore.commit}), the changed
 * records are appended to the record log beside the database (`record_log.ts`: one `write`),
 * which a restarted controller applies first. So a task placed on an engine is on disk before
 * the engine gets it (a restarted controller knows what its engines run), and a finished task
 * before its result reaches the client (a result a client has seen can be fetched again by id,
 * even after the controller is killed). An in-memory database commits to SQLite there instead.
 *
 * Bounds: at most `maxRecords` records and `maxBytes` result bytes; past either bound the
 * oldest finished records are dropped (culled) down to 99 % of it, a few at a time
 * (`task_cull.ts`). Culled ids are remembered so a lookup can say why a result is gone.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { decodeValue, encodeValue } from "../protocol/codec.ts";
import { IpxError } from "../protocol/errors.ts";
import type { DbFilter, EngineId, MsgId, TaskResult } from "../protocol/messages.ts";
import { selectedColumns, TASK_COLUMNS, whereClause } from "./db_filter.ts";
import type { Outcome } from "./load_balancer_deps.ts";
import { FileBlobs, MemoryBlobs, type ResultBlobs } from "./result_blobs.ts";
import type { StateDb } from "./state_db.ts";
import type { RecordLog } from "./record_log.ts";
import { fromRow, type Lookup, type Row, type TaskRecord, type TaskStatus } from "./task_record.ts";
import { openRecordLog, recordRow, type RowParams, SPILL_BYTES } from "./task_rows.ts";
import { type StoredResult, UPSERT_SQL } from "./task_rows.ts";
import { CULL_TO, Culler } from "./task_cull.ts";

export { SPILL_BYTES };
export { CULL_TO, CULLED_KEPT } from "./task_cull.ts";

export type { Lookup, TaskRecord, TaskStatus };

/** Bounds of a {@linkcode TaskStore}. */
export interface TaskStoreLimits {
  /** Most records kept. @default 100000 */
  maxRecords?: number;
  /** Most result bytes kept. @default 1 GiB */
  maxBytes?: number;
}

/** Options of {@linkcode TaskStore}. */
export interface TaskStoreOptions extends TaskStoreLimits {
  /** Schedules a delayed flush of unfinished records; returns a cancel function. */
  after: (ms: number, fn: () => void) => () => void;
  /** Delay before unfinished records are written. @default 100 */
  flushMs?: number;
  /**
   * Where result values of {@linkcode SPILL_BYTES} or more are kept. @default files in
   * `<database>.results/` (memory for an in-memory database)
   */
  blobs?: ResultBlobs;
  /**
   * Culled ids remembered (so a lookup says "culled" rather than "unknown"): at least this
   * many of the newest, up to a tenth more between trims. @default 100000
   */
  culledKept?: number;
}

/** A purge named tasks that have not finished. */
export class TaskStoreError extends IpxError {}

/** Task records over SQLite with an in-memory set of unfinished ones. */
export class TaskStore {
  #sdb: StateDb;
  #live = new Map<MsgId, TaskRecord>();
  /** Records changed since they were last written to SQLite. */
  #dirty = new Map<MsgId, TaskRecord>();
  /** Records changed since they were last appended to the record log. */
  #unlogged = new Map<MsgId, TaskRecord>();
  /** Row images of dirty records as last logged (computed once per change: spills a value). */
  #images = new Map<MsgId, RowParams>();
  #log: RecordLog | null = null;
  #count: number;
  #bytes: number;
  #seq: number;
  #maxRecords: number;
  #maxBytes: number;
  #after: TaskStoreOptions["after"];
  #flushMs: number;
  #timer: (() => void) | undefined;
  #soon = false;
  #closed = false;
  #upsert;
  #byId;
  #culler: Culler;
  #blobs: ResultBlobs;

  /**
   * Opens the store; unfinished records from an earlier run are loaded back into memory.
   *
   * @param sdb The database.
   * @param options Bounds and the flush timer.
   */
  constructor(sdb: StateDb, options: TaskStoreOptions) {
    this.#sdb = sdb;
    this.#maxRecords = options.maxRecords ?? 100_000;
    this.#maxBytes = options.maxBytes ?? 1024 * 1024 * 1024;
    this.#after = options.after;
    this.#flushMs = options.flushMs ?? 100;
    this.#blobs = options.blobs ??
      (sdb.path === ":memory:" ? new MemoryBlobs() : new FileBlobs(`${sdb.path}.results`));
    const db = sdb.db;
    this.#upsert = db.prepare(UPSERT_SQL);
    this.#byId = db.prepare("SELECT * FROM tasks WHERE msg_id = ?");
    this.#culler = new Culler(sdb, options.culledKept);
    if (sdb.path !== ":memory:") {
      this.#log = openRecordLog(`${sdb.path}.log`, sdb, (row) => this.#upsert.run(...row));
    }
    const totals = db.prepare(
      "SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b, COALESCE(MAX(seq), 0) AS s FROM tasks",
    ).get() as { n: number; b: number; s: number };
    this.#count = totals.n;
    this.#bytes = totals.b;
    this.#seq = totals.s + 1;
    const rows = db.prepare("SELECT * FROM tasks WHERE completed IS NULL ORDER BY seq").all();
    for (const r of rows as unknown as Row[]) this.#live.set(r.msg_id, fromRow(r));
    // values no finished record refers to: left by a crash during a purge, or by a database
    // that was moved away (a new one counts from 1 again)
    const finishedSeq = db.prepare(
      "SELECT 1 AS x FROM tasks WHERE seq = ? AND completed IS NOT NULL",
    );
    for (const key of this.#blobs.keys()) {
      if (finishedSeq.get(key) === undefined) this.#blobs.delete(key);
    }
  }

  /** Number of records (finished and not). */
  get size(): number {
    return this.#count;
  }

  /** Result bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Unfinished records (in submission order for records loaded at startup). */
  live(): IterableIterator<TaskRecord> {
    return this.#live.values();
  }

  /**
   * Adds a new record.
   *
   * @param rec The record, without `seq` (assigned here).
   * @param replacing True when it replaces a finished record with the same id (a task lost
   *   in a restart and submitted again).
   * @returns The stored record.
   */
  add(rec: Omit<TaskRecord, "seq">, replacing = false): TaskRecord {
    const stored: TaskRecord = { ...rec, seq: this.#seq++ };
    this.#live.set(stored.msgId, stored);
    this.#dirty.delete(stored.msgId);
    this.#unlogged.delete(stored.msgId);
    this.#images.delete(stored.msgId);
    if (!replacing) this.#count++;
    else {
      const old = this.#byId.get(stored.msgId) as Row | undefined;
      this.#bytes -= old?.bytes ?? 0;
      if (old) this.#blobs.delete(old.seq);
    }
    this.touch(stored);
    return stored;
  }

  /**
   * An unfinished record by id (finished ones are looked up with {@linkcode lookup}).
   *
   * @param msgId The task id.
   */
  get(msgId: MsgId): TaskRecord | undefined {
    return this.#live.get(msgId);
  }

  /**
   * True when a task with this id exists (finished or not).
   *
   * @param msgId The task id.
   */
  has(msgId: MsgId): boolean {
    return this.#live.has(msgId) || this.#dirty.has(msgId) || this.#byId.get(msgId) !== undefined;
  }

  /**
   * Marks a changed unfinished record for writing: batched within `flushMs`, or before the
   * current tick ends when `now` is set (a task is on disk before an engine gets it, so a
   * restarted controller knows what its engines are running).
   *
   * @param rec The record.
   * @param now Write it before the current tick ends.
   */
  touch(rec: TaskRecord, now = false): void {
    this.#changed(rec);
    if (now) return this.#flushSoon();
    this.#armTimer();
  }

  #changed(rec: TaskRecord): void {
    this.#dirty.set(rec.msgId, rec);
    this.#unlogged.set(rec.msgId, rec);
    this.#images.delete(rec.msgId);
  }

  /** Writes the dirty records to SQLite within `flushMs`. */
  #armTimer(): void {
    if (this.#timer === undefined && !this.#closed) {
      this.#timer = this.#after(this.#flushMs, () => {
        this.#timer = undefined;
        this.#safe(() => this.flush());
      });
    }
  }

  /**
   * Stores a task's outcome. It is written before the current tick ends. A task finishes once:
   * a second outcome for the same id is ignored (returns undefined).
   *
   * @param msgId The task id.
   * @param result The outcome.
   * @param status Final status.
   */
  finish(msgId: MsgId, result: TaskResult, status: TaskStatus): TaskRecord | undefined {
    const rec = this.#live.get(msgId);
    if (!rec) return undefined;
    this.#live.delete(msgId);
    rec.result = result;
    rec.status = status;
    rec.ename = result.ok ? null : result.error?.ename ?? "Error";
    if (result.engineId >= 0) rec.engineId = result.engineId;
    rec.started = result.started;
    rec.completed = result.completed;
    this.#changed(rec);
    this.#flushSoon();
    return rec;
  }

  /**
   * Puts pending changes on disk now, reporting (not throwing) a failure. The controller calls
   * it before each frame it sends, so what a frame says was placed or finished is on disk
   * first: appended to the record log (SQLite gets them within `flushMs`), or committed to
   * SQLite when there is no log (an in-memory database).
   */
  commit(): void {
    this.#safe(() => this.#log ? this.#logChanges() : this.flush());
  }

  /** Runs a write from a timer, the end of an I/O round or a frame: reports a failure. */
  #safe(write: () => void): void {
    try {
      write();
    } catch (error) {
      console.error(`ipx controller: cannot write task records: ${(error as Error).message}`);
    }
  }

  #flushSoon(): void {
    if (this.#soon || this.#closed) return;
    this.#soon = true;
    // at the end of this round of I/O: the changes of every message handled in it share one
    // write (frames sent in the round commit first, see commit())
    setImmediate(() => {
      this.#soon = false;
      this.commit();
    });
  }

  /** Appends the records changed since the last append to the log, in one write. */
  #logChanges(): void {
    if (this.#unlogged.size === 0 || this.#closed) return;
    const bodies: Uint8Array[] = [];
    for (const r of this.#unlogged.values()) {
      let image = this.#images.get(r.msgId);
      if (image === undefined) this.#images.set(r.msgId, image = this.#image(r));
      bodies.push(encodeValue(image));
    }
    this.#log!.append(bodies);
    this.#unlogged.clear();
    this.#armTimer();
  }

  /** A record's row (see `recordRow`); keeps the byte total. */
  #image(r: TaskRecord): RowParams {
    const before = r.bytes;
    const row = recordRow(r, this.#blobs);
    this.#bytes += r.bytes - before;
    return row;
  }

  /**
   * Writes every pending change to SQLite in one transaction, empties the record log, then
   * applies the bounds.
   */
  flush(): void {
    if (this.#dirty.size === 0 || this.#closed) return;
    const batch = [...this.#dirty.values()];
    const rows = batch.map((r) => this.#images.get(r.msgId) ?? this.#image(r));
    this.#dirty.clear();
    this.#unlogged.clear();
    this.#images.clear();
    this.#sdb.transaction(() => {
      for (const row of rows) this.#upsert.run(...row);
    });
    for (const r of batch) if (r.completed !== null) r.result = null; // it is on disk now
    this.#log?.clear();
    if (this.#count > this.#maxRecords || this.#bytes > this.#maxBytes) this.#cull();
  }

  /** Drops the oldest finished records down to {@linkcode CULL_TO} of the bounds. */
  #cull(): void {
    const gone = this.#culler.cull(
      this.#count - Math.floor(this.#maxRecords * CULL_TO),
      this.#bytes - Math.floor(this.#maxBytes * CULL_TO),
      (seq) => this.#blobs.delete(seq),
    );
    this.#count -= gone.records;
    this.#bytes -= gone.bytes;
  }

  /**
   * Finds a task by id: its result when finished, its record when not, or why it is unknown.
   *
   * @param msgId The task id.
   */
  lookup(msgId: MsgId): Lookup {
    const live = this.#live.get(msgId);
    if (live) return { state: "pending", record: live };
    const dirty = this.#dirty.get(msgId);
    if (dirty?.result) return { state: "done", result: dirty.result };
    const row = this.#byId.get(msgId) as Row | undefined;
    if (row?.result) return this.#stored(row);
    if (this.#culler.remembers(msgId)) {
      return {
        state: "missing",
        why: "its record was culled to keep the task database within its bounds " +
          `(${this.#maxRecords} records, ${this.#maxBytes} bytes)`,
      };
    }
    return {
      state: "missing",
      why: "no task with this id is known to the controller (never submitted, purged, or " +
        "lost in a controller restart before it was recorded)",
    };
  }

  /** A finished record's result, its value read back when it was spilled. */
  #stored(row: Row): Lookup {
    const { spilled, ...result } = decodeValue(row.result!) as StoredResult;
    if (spilled === undefined) return { state: "done", result };
    const value = this.#blobs.get(row.seq);
    if (value === undefined || value.length !== spilled) {
      return {
        state: "missing",
        why: `its ${spilled}-byte result value was not completely written (the controller ` +
          `stopped while writing it, or its file in the results directory was removed)`,
      };
    }
    return { state: "done", result: { ...result, value } };
  }

  /**
   * How a task ended, for dependency checks: "pending" while unfinished, undefined when
   * unknown.
   *
   * @param msgId The task id.
   */
  outcome(msgId: MsgId): Outcome | "pending" | undefined {
    if (this.#live.has(msgId)) return "pending";
    const r = this.#dirty.get(msgId)?.result;
    if (r) return { ok: r.ok, engineId: r.engineId, ename: r.error?.ename ?? null };
    // from the record's columns: no need to read (or decode) the stored result
    const row = this.#byId.get(msgId) as Row | undefined;
    if (row?.completed == null) return undefined;
    return { ok: row.status === "ok", engineId: row.engine_id ?? -1, ename: row.ename };
  }

  /**
   * Removes finished records.
   *
   * @param msgIds Which ones; every finished one when omitted.
   * @returns How many were removed.
   * @throws {TaskStoreError} when a named task has not finished.
   */
  purge(msgIds?: MsgId[]): number {
    this.flush();
    const db = this.#sdb.db;
    if (msgIds === undefined) {
      const gone = db.prepare(
        "SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM tasks WHERE completed IS NOT NULL",
      ).get() as { n: number; b: number };
      db.prepare("DELETE FROM tasks WHERE completed IS NOT NULL").run();
      this.#blobs.clear();
      this.#count -= gone.n;
      this.#bytes -= gone.b;
      return gone.n;
    }
    const unfinished = msgIds.filter((id) => this.#live.has(id));
    if (unfinished.length > 0) {
      throw new TaskStoreError(
        `Cannot purge ${unfinished.length} task(s) that have not finished ` +
          `(${unfinished.slice(0, 5).join(", ")}${unfinished.length > 5 ? ", …" : ""}): ` +
          `wait for them or abort them first`,
      );
    }
    let n = 0;
    const del = db.prepare("DELETE FROM tasks WHERE msg_id = ? AND completed IS NOT NULL");
    this.#sdb.transaction(() => {
      for (const id of msgIds) {
        const row = this.#byId.get(id) as Row | undefined;
        if (!row) continue;
        if (Number(del.run(id).changes) > 0) {
          this.#blobs.delete(row.seq);
          n++;
          this.#count--;
          this.#bytes -= row.bytes;
        }
      }
    });
    return n;
  }

  /**
   * Queries records by fields (`msgId`, `engineId`/`engine`, `kind`, `status`, `ename`,
   * `label`, `submitted`, `started`, `completed`) with MongoDB-style operators, in submission
   * order.
   *
   * @param filter Field conditions.
   * @param keys Fields to return (msgId is always included); all when omitted.
   */
  query(filter: DbFilter, keys?: string[]): Record<string, unknown>[] {
    this.flush();
    const where = whereClause(filter);
    const cols = selectedColumns(
      keys ?? Object.keys(TASK_COLUMNS).filter((k) => k !== "engine" && k !== "msgId"),
    );
    const sql = `SELECT ${cols.map(([k, c]) => `${c} AS "${k}"`).join(", ")} FROM tasks ` +
      `WHERE ${where.sql} ORDER BY seq`;
    const rows = this.#sdb.db.prepare(sql).all(...where.params);
    return rows.map((r) => ({ ...r })); // plain objects (SQLite gives null-prototype rows)
  }

  /** All msg ids in submission order. */
  history(): MsgId[] {
    this.flush();
    const rows = this.#sdb.db.prepare("SELECT msg_id FROM tasks ORDER BY seq").all();
    return (rows as { msg_id: string }[]).map((r) => r.msg_id);
  }

  /** Finished-task counts per engine, from the records kept. */
  completedByEngine(): Map<EngineId, number> {
    const rows = this.#sdb.db.prepare(
      "SELECT engine_id AS e, COUNT(*) AS n FROM tasks WHERE completed IS NOT NULL " +
        "AND engine_id IS NOT NULL GROUP BY engine_id",
    ).all() as { e: number; n: number }[];
    return new Map(rows.map((r) => [r.e, r.n]));
  }

  /**
   * Writes what is pending and stops the flush timer; resolves when values being written in
   * the background are on disk.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      this.flush();
      this.#closed = true;
      this.#timer?.();
      this.#timer = undefined;
      this.#log?.close();
    }
    return this.#blobs.close();
  }
}
