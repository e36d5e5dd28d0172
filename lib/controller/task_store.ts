/**
 * The controller's task records: what was submitted, where it ran, how it ended, and its
 * result, bounded by count and bytes (the oldest finished records are culled first).
 *
 * @module
 */

import type { DbFilter, EngineId, MsgId, TaskResult } from "../protocol/messages.ts";

/** Lifecycle of a task. */
export type TaskStatus = "queued" | "running" | "ok" | "error" | "aborted";

/** One task's record. */
export interface TaskRecord {
  msgId: MsgId;
  /** Engine it ran (or runs, or is pinned) on; null while unassigned. */
  engineId: EngineId | null;
  /** Submitting client connection. */
  clientId: number;
  /** What kind of op. */
  kind: string;
  status: TaskStatus;
  label: string;
  submitted: number;
  started: number | null;
  completed: number | null;
  /** The result, once finished. */
  result: TaskResult | null;
  /** Approximate bytes held by the result. */
  bytes: number;
}

/** Bounds of a {@linkcode TaskStore}. */
export interface TaskStoreLimits {
  /** Most records kept. @default 100000 */
  maxRecords?: number;
  /** Most result bytes kept. @default 1 GiB */
  maxBytes?: number;
}

function resultBytes(r: TaskResult): number {
  return (r.value?.length ?? 0) + (r.error ? r.error.evalue.length + r.error.stack.length : 0) + 64;
}

function matches(rec: Record<string, unknown>, filter: DbFilter): boolean {
  for (const [field, cond] of Object.entries(filter)) {
    const v = rec[field];
    if (cond !== null && typeof cond === "object" && !Array.isArray(cond)) {
      const c = cond as Record<string, unknown>;
      if ("$in" in c && !(c.$in as unknown[]).includes(v)) return false;
      if ("$nin" in c && (c.$nin as unknown[]).includes(v)) return false;
      if ("$ne" in c && v === c.$ne) return false;
      if ("$eq" in c && v !== c.$eq) return false;
      if ("$gt" in c && !((v as number) > (c.$gt as number))) return false;
      if ("$gte" in c && !((v as number) >= (c.$gte as number))) return false;
      if ("$lt" in c && !((v as number) < (c.$lt as number))) return false;
      if ("$lte" in c && !((v as number) <= (c.$lte as number))) return false;
    } else if (v !== cond) return false;
  }
  return true;
}

/** In-memory task records with bounds. */
export class TaskStore {
  #records = new Map<MsgId, TaskRecord>();
  #bytes = 0;
  #maxRecords: number;
  #maxBytes: number;
  #culled = new Set<MsgId>();

  /** @param limits Bounds. */
  constructor(limits: TaskStoreLimits = {}) {
    this.#maxRecords = limits.maxRecords ?? 100_000;
    this.#maxBytes = limits.maxBytes ?? 1024 * 1024 * 1024;
  }

  /** Number of records. */
  get size(): number {
    return this.#records.size;
  }

  /** Result bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Adds a new record.
   *
   * @param rec The record.
   */
  add(rec: TaskRecord): void {
    this.#records.set(rec.msgId, rec);
    this.#cull();
  }

  /**
   * Looks a record up.
   *
   * @param msgId The task id.
   */
  get(msgId: MsgId): TaskRecord | undefined {
    return this.#records.get(msgId);
  }

  /**
   * True when the record existed but was culled to respect the bounds.
   *
   * @param msgId The task id.
   */
  wasCulled(msgId: MsgId): boolean {
    return this.#culled.has(msgId);
  }

  /**
   * Stores a task's outcome.
   *
   * @param msgId The task id.
   * @param result The outcome.
   * @param status Final status.
   */
  finish(msgId: MsgId, result: TaskResult, status: TaskStatus): TaskRecord | undefined {
    const rec = this.#records.get(msgId);
    if (!rec) return undefined;
    if (rec.result) this.#bytes -= rec.bytes;
    rec.result = result;
    rec.status = status;
    rec.engineId = result.engineId;
    rec.started = result.started;
    rec.completed = result.completed;
    rec.bytes = resultBytes(result);
    this.#bytes += rec.bytes;
    this.#cull();
    return rec;
  }

  #cull(): void {
    if (this.#records.size <= this.#maxRecords && this.#bytes <= this.#maxBytes) return;
    // drop the oldest finished records (Map keeps insertion order) down to 90 % of the bounds
    const targetRecords = Math.floor(this.#maxRecords * 0.9);
    const targetBytes = Math.floor(this.#maxBytes * 0.9);
    for (const [id, rec] of this.#records) {
      if (this.#records.size <= targetRecords && this.#bytes <= targetBytes) break;
      if (rec.completed === null) continue;
      this.#records.delete(id);
      this.#bytes -= rec.bytes;
      this.#culled.add(id);
    }
  }

  /**
   * Removes finished records.
   *
   * @param msgIds Which ones; all finished ones when omitted.
   * @returns How many were removed.
   */
  purge(msgIds?: MsgId[]): number {
    let n = 0;
    const ids = msgIds ?? [...this.#records.keys()];
    for (const id of ids) {
      const rec = this.#records.get(id);
      if (!rec || rec.completed === null) continue;
      this.#records.delete(id);
      this.#bytes -= rec.bytes;
      n++;
    }
    return n;
  }

  /**
   * Queries records by fields (`msgId`, `engineId`, `status`, `label`, `kind`, `submitted`,
   * `started`, `completed`) with MongoDB-style operators.
   *
   * @param filter Field conditions.
   * @param keys Fields to return (msgId is always included); all when omitted.
   */
  query(filter: DbFilter, keys?: string[]): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const rec of this.#records.values()) {
      const flat = rec as unknown as Record<string, unknown>;
      if (!matches(flat, filter)) continue;
      if (!keys) {
        const { result: _r, bytes: _b, clientId: _c, ...rest } = rec;
        out.push({ ...rest });
      } else {
        const picked: Record<string, unknown> = { msgId: rec.msgId };
        for (const k of keys) if (k in flat) picked[k] = flat[k];
        out.push(picked);
      }
    }
    return out;
  }

  /** All msg ids in submission order. */
  history(): MsgId[] {
    return [...this.#records.keys()];
  }
}
