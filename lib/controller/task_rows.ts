/**
 * Task records as SQLite rows: the upsert, the row image of a record (spilling a big result
 * value to its file), and applying the rows a previous run left in the record log.
 *
 * @module
 */

import { decodeValue, encodeValue } from "../protocol/codec.ts";
import type { TaskResult } from "../protocol/messages.ts";
import { RecordLog } from "./record_log.ts";
import type { ResultBlobs } from "./result_blobs.ts";
import type { StateDb } from "./state_db.ts";
import type { TaskRecord } from "./task_record.ts";

/**
 * Result values this big or bigger are kept out of SQLite (see `result_blobs.ts`): writing
 * them in a transaction would block the controller for tens of milliseconds per megabyte.
 */
export const SPILL_BYTES = 1024 * 1024;

/** A stored result whose value was spilled: its size stands in for it. */
export type StoredResult = TaskResult & { spilled?: number };

/** Writes a record's row (see {@linkcode RowParams} for the parameter order). */
export const UPSERT_SQL =
  `INSERT INTO tasks (msg_id, seq, engine_id, kind, lb, status, ename, label, submitted,
     started, completed, result, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT(msg_id) DO UPDATE SET engine_id = excluded.engine_id,
     status = excluded.status, ename = excluded.ename, started = excluded.started,
     completed = excluded.completed, result = excluded.result, bytes = excluded.bytes`;

/** A record's row as {@linkcode UPSERT_SQL} takes it. */
export type RowParams = [
  msgId: string,
  seq: number,
  engineId: number | null,
  kind: string,
  lb: number,
  status: string,
  ename: string | null,
  label: string,
  submitted: number,
  started: number | null,
  completed: number | null,
  result: Uint8Array | null,
  bytes: number,
];

/**
 * Whether a value (a decoded record-log entry) is a row.
 *
 * @param value The value.
 */
export function isRow(value: unknown): value is RowParams {
  return Array.isArray(value) && value.length === 13 && typeof value[0] === "string" &&
    typeof value[1] === "number";
}

/**
 * A record's row. A result value of {@linkcode SPILL_BYTES} or more is written to its file
 * here (the row holds its size), so call it once per change of a record. Sets `r.bytes` to
 * what the record now holds.
 *
 * @param r The record.
 * @param blobs Where spilled values go.
 * @returns The row.
 */
export function recordRow(r: TaskRecord, blobs: ResultBlobs): RowParams {
  let blob: Uint8Array | null = null;
  if (r.result) {
    const { value, ...rest } = r.result;
    if (value !== undefined && value.length >= SPILL_BYTES) {
      blobs.put(r.seq, value);
      blob = encodeValue({ ...rest, spilled: value.length } satisfies StoredResult);
      r.bytes = blob.length + value.length;
    } else {
      blob = encodeValue(r.result);
      r.bytes = blob.length;
    }
  }
  return [
    r.msgId,
    r.seq,
    r.engineId,
    r.kind,
    r.lb ? 1 : 0,
    r.status,
    r.ename,
    r.label,
    r.submitted,
    r.started,
    r.completed,
    blob,
    r.bytes,
  ];
}

/**
 * Applies what a previous run left in the record log (in one transaction), then opens the log
 * emptied.
 *
 * @param path The log file.
 * @param sdb The database.
 * @param upsert Writes one row.
 * @returns The open log.
 */
export function openRecordLog(
  path: string,
  sdb: StateDb,
  upsert: (row: RowParams) => void,
): RecordLog {
  const { bodies, ignored } = RecordLog.readLeftovers(path);
  if (bodies.length > 0) {
    sdb.transaction(() => {
      for (const body of bodies) {
        let row: unknown;
        try {
          row = decodeValue(body);
        } catch {
          continue; // intact but not a row: not written by ipx
        }
        if (isRow(row)) upsert(row);
      }
    });
  }
  if (ignored > 0) {
    console.error(
      `ipx controller: the last ${ignored} bytes of ${path} were cut short (the controller ` +
        `stopped while writing them) and were ignored`,
    );
  }
  return RecordLog.open(path);
}
