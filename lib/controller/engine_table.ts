/**
 * The `engines` table of the {@linkcode StateDb}: every engine ever registered, so ids are
 * never reused across controller restarts and engines alive at a restart can re-attach with
 * their old id (matched by uuid).
 *
 * @module
 */

import type { EngineId } from "../protocol/messages.ts";
import type { StateDb } from "./state_db.ts";

/** A persisted engine. */
export interface EngineRow {
  id: EngineId;
  uuid: string;
  host: string;
  pid: number;
  dataDir: string;
  registeredAt: number;
  /** True until the engine is declared dead. */
  alive: boolean;
  /** Why it ended, once dead. */
  ended: string | null;
}

/** Persisted engine registry. */
export class EngineTable {
  #sdb: StateDb;
  #insert;
  #kill;

  /** @param sdb The database. */
  constructor(sdb: StateDb) {
    this.#sdb = sdb;
    this.#insert = sdb.db.prepare(
      `INSERT OR REPLACE INTO engines (id, uuid, host, pid, data_dir, registered_at, alive, ended)
       VALUES (?, ?, ?, ?, ?, ?, 1, NULL)`,
    );
    this.#kill = sdb.db.prepare("UPDATE engines SET alive = 0, ended = ? WHERE id = ?");
  }

  /** The id the next new engine gets: above every id ever given out. */
  nextId(): EngineId {
    const row = this.#sdb.db.prepare("SELECT COALESCE(MAX(id), -1) AS m FROM engines").get() as {
      m: number;
    };
    const fromMeta = Number(this.#sdb.meta("next_engine_id") ?? 0);
    return Math.max(row.m + 1, Number.isSafeInteger(fromMeta) ? fromMeta : 0);
  }

  /** Engines that were alive when the controller last stopped, by id. */
  alive(): EngineRow[] {
    const rows = this.#sdb.db.prepare(
      "SELECT * FROM engines WHERE alive = 1 ORDER BY id",
    ).all() as {
      id: number;
      uuid: string;
      host: string;
      pid: number;
      data_dir: string;
      registered_at: number;
      alive: number;
      ended: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      uuid: r.uuid,
      host: r.host,
      pid: r.pid,
      dataDir: r.data_dir,
      registeredAt: r.registered_at,
      alive: r.alive === 1,
      ended: r.ended,
    }));
  }

  /**
   * Records a newly registered engine and the id counter, in one transaction.
   *
   * @param row The engine.
   * @param nextId The counter after it.
   */
  registered(row: Omit<EngineRow, "alive" | "ended">, nextId: EngineId): void {
    this.#sdb.transaction(() => {
      this.#insert.run(row.id, row.uuid, row.host, row.pid, row.dataDir, row.registeredAt);
      this.#sdb.setMeta("next_engine_id", String(nextId));
    });
  }

  /**
   * Forgets every engine and restarts the id counter at 0: for a clean shutdown with no engine
   * left, after which the next controller starts a new cluster (ids 0, 1, 2… again).
   */
  reset(): void {
    this.#sdb.transaction(() => {
      this.#sdb.db.exec("DELETE FROM engines");
      this.#sdb.setMeta("next_engine_id", "0");
    });
  }

  /**
   * Records that an engine was declared dead.
   *
   * @param id The engine.
   * @param reason Why.
   */
  died(id: EngineId, reason: string): void {
    this.#kill.run(reason, id);
  }
}
