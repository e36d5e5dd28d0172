/**
 * Culling of the task history past its bounds (see `task_store.ts`): the oldest finished
 * records go, in a few set-based SQL statements (no row passes through JavaScript; only the
 * files of spilled values are removed one by one), and their ids are remembered in the `culled`
 * table so a lookup can say why a result is gone.
 *
 * Measured with 250,000 trivial tasks through a store bounded at 100,000 records: the old way
 * (each victim read into JavaScript, deleted and remembered by its own statements, 10,000 at a
 * time, the `culled` table trimmed by a full scan and sort on every cull) held the controller's
 * thread 130–240 ms per cull and cost ~15 µs per task; now the longest flush with a cull takes
 * 15–70 ms and culling ~5 µs per task.
 *
 * @module
 */

import { SPILL_BYTES } from "./task_rows.ts";
import type { StateDb } from "./state_db.ts";

/** Culled ids remembered by default (at least; up to a tenth more between trims). */
export const CULLED_KEPT = 100_000;

/**
 * Past a bound, records are culled down to this fraction of it: small steps, so each cull
 * holds the controller's thread briefly.
 */
export const CULL_TO = 0.99;

const FINISHED = "FROM tasks WHERE completed IS NOT NULL";

/** What a cull removed. */
export interface Culled {
  /** Records removed. */
  records: number;
  /** Result bytes they held. */
  bytes: number;
}

/** Removes the oldest finished records and remembers their ids. */
export class Culler {
  #sdb: StateDb;
  #kept: number;
  #count: number;
  /** The seq of the (n+1)-th oldest finished record (`?` = n). */
  #nthFinished;
  #lastFinished;
  /** The first seq at which the oldest finished records hold `?` bytes. */
  #bytesReached;
  #victimTotals;
  /** Victims whose value may have been spilled to a file (cutoff, SPILL_BYTES). */
  #spilledVictims;
  #remember;
  #drop;
  /** Keeps the newest `?` culled ids. */
  #forget;
  #culledCount;
  #byId;

  /**
   * @param sdb The database (its `tasks` and `culled` tables).
   * @param kept Culled ids remembered: at least this many of the newest.
   */
  constructor(sdb: StateDb, kept = CULLED_KEPT) {
    const db = sdb.db;
    this.#sdb = sdb;
    this.#kept = kept;
    this.#nthFinished = db.prepare(`SELECT seq ${FINISHED} ORDER BY seq LIMIT 1 OFFSET ?`);
    this.#lastFinished = db.prepare(`SELECT MAX(seq) AS seq ${FINISHED}`);
    this.#bytesReached = db.prepare(
      `SELECT seq FROM (SELECT seq, SUM(bytes) OVER (ORDER BY seq) AS run ${FINISHED}) ` +
        "WHERE run >= ? LIMIT 1",
    );
    this.#victimTotals = db.prepare(
      `SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b ${FINISHED} AND seq <= ?`,
    );
    this.#spilledVictims = db.prepare(`SELECT seq ${FINISHED} AND seq <= ? AND bytes >= ?`);
    this.#remember = db.prepare(
      `INSERT OR REPLACE INTO culled (msg_id, seq) SELECT msg_id, seq ${FINISHED} AND seq <= ?`,
    );
    this.#drop = db.prepare(`DELETE ${FINISHED} AND seq <= ?`);
    this.#forget = db.prepare(
      "DELETE FROM culled WHERE seq < (SELECT seq FROM culled ORDER BY seq DESC LIMIT 1 OFFSET ?)",
    );
    this.#culledCount = db.prepare("SELECT COUNT(*) AS n FROM culled");
    this.#byId = db.prepare("SELECT 1 AS x FROM culled WHERE msg_id = ?");
    this.#count = (this.#culledCount.get() as { n: number }).n;
  }

  /**
   * Removes the fewest oldest finished records that take away at least `records` records and
   * `bytes` result bytes (all finished ones if they are not enough), in one transaction.
   *
   * @param records Records to remove (nothing for 0 or less).
   * @param bytes Result bytes to remove (nothing for 0 or less).
   * @param dropValue Called, after the records are deleted, with the seq of each victim whose
   *   value may be in a file.
   * @returns What was removed.
   */
  cull(records: number, bytes: number, dropValue: (seq: number) => void): Culled {
    let cutoff = -Infinity;
    if (records > 0) {
      const row = this.#nthFinished.get(records - 1) as { seq: number } | undefined;
      cutoff = row?.seq ?? this.#last();
    }
    if (bytes > 0) {
      const row = this.#bytesReached.get(bytes) as { seq: number } | undefined;
      cutoff = Math.max(cutoff, row?.seq ?? this.#last());
    }
    if (cutoff === -Infinity) return { records: 0, bytes: 0 };
    const gone = this.#victimTotals.get(cutoff) as { n: number; b: number };
    if (gone.n === 0) return { records: 0, bytes: 0 };
    const spilled = this.#spilledVictims.all(cutoff, SPILL_BYTES) as { seq: number }[];
    this.#sdb.transaction(() => {
      this.#remember.run(cutoff);
      this.#drop.run(cutoff);
      this.#count += gone.n;
      if (this.#count > this.#kept + this.#kept / 10) {
        this.#forget.run(this.#kept);
        this.#count = (this.#culledCount.get() as { n: number }).n;
      }
    });
    // files go only once their records are gone: a failed transaction leaves both in place
    for (const row of spilled) dropValue(row.seq);
    return { records: gone.n, bytes: gone.b };
  }

  /**
   * Whether a record with this id was culled (among the ids still remembered).
   *
   * @param msgId The task id.
   */
  remembers(msgId: string): boolean {
    return this.#byId.get(msgId) !== undefined;
  }

  /** The newest finished record's seq (-Infinity when none). */
  #last(): number {
    return (this.#lastFinished.get() as { seq: number | null }).seq ?? -Infinity;
  }
}
