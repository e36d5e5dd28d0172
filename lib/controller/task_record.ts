/**
 * A task's record as the controller keeps it (see `task_store.ts`), and its SQLite row.
 *
 * @module
 */

import type { EngineId, MsgId, TaskResult } from "../protocol/messages.ts";

/** Lifecycle of a task. */
export type TaskStatus = "queued" | "running" | "ok" | "error" | "aborted";

/** One task's record. */
export interface TaskRecord {
  msgId: MsgId;
  /** Engine it ran (or runs, or is pinned) on; null while unassigned. */
  engineId: EngineId | null;
  /** Submitting client connection (0 = none attached, e.g. after a controller restart). */
  clientId: number;
  /** Other client connections that asked to follow it (`resume`), if any. */
  watchers?: number[];
  /** What kind of op. */
  kind: string;
  /** Load-balanced (true) or direct (false). */
  lb: boolean;
  status: TaskStatus;
  /** Error name of a failed task. */
  ename: string | null;
  label: string;
  submitted: number;
  started: number | null;
  completed: number | null;
  /** The result, once finished (dropped from memory once written). */
  result: TaskResult | null;
  /** Bytes the stored result takes. */
  bytes: number;
  /** Submission order. */
  seq: number;
}

/** What a lookup by id finds. */
export type Lookup =
  | { state: "done"; result: TaskResult }
  | { state: "pending"; record: TaskRecord }
  | { state: "missing"; why: string };

/** A row of the `tasks` table. */
export interface Row {
  msg_id: string;
  seq: number;
  engine_id: number | null;
  kind: string;
  lb: number;
  status: string;
  ename: string | null;
  label: string;
  submitted: number;
  started: number | null;
  completed: number | null;
  result: Uint8Array | null;
  bytes: number;
}

/** The record a row describes (unfinished: no result in memory). */
export function fromRow(r: Row): TaskRecord {
  return {
    msgId: r.msg_id,
    engineId: r.engine_id,
    clientId: 0,
    kind: r.kind,
    lb: r.lb === 1,
    status: r.status as TaskStatus,
    ename: r.ename,
    label: r.label,
    submitted: r.submitted,
    started: r.started,
    completed: r.completed,
    result: null,
    bytes: r.bytes,
    seq: r.seq,
  };
}
