/**
 * The controller's embedded SQLite database (`node:sqlite`): the state that must survive a
 * controller restart. It holds three things:
 *
 * - `meta`: small key/value settings (next engine id, last port, schema version);
 * - `engines`: every engine ever registered, alive or dead, so ids are never reused and live
 *   engines can re-attach with their old id after a restart;
 * - `tasks`: the task records (see `task_store.ts`), with `culled` remembering ids dropped to
 *   respect the store's bounds.
 *
 * The database lives in the profile (`profilePaths(profile).dbFile`, mode 0600: results may be
 * secret); `":memory:"` gives the same behaviour without a file (tests, embedded controllers). WAL journaling with
 * `synchronous=NORMAL`: a committed transaction survives a crash of the controller process.
 * `locking_mode=EXCLUSIVE`: only the controller ever opens it (its pid lock sees to that), so it
 * holds the file lock for good and skips the shared-memory index and per-transaction locking,
 * which makes the small transactions of task records about a third cheaper. The WAL is
 * checkpointed every {@linkcode WAL_CHECKPOINT_PAGES} pages instead of SQLite's 1,000: each
 * checkpoint syncs the file, and at 1,000 pages that cost ~10 µs per task on top of the ~40 µs
 * its two records cost (measured on the bench machine).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { IpxError } from "../protocol/errors.ts";

/** WAL pages (4 KiB) between automatic checkpoints. */
export const WAL_CHECKPOINT_PAGES = 8192;
/** Size the WAL file is cut back to after a checkpoint. */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** Schema version written into `meta`; bump with a migration when the tables change. */
export const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS engines (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  data_dir TEXT NOT NULL,
  registered_at REAL NOT NULL,
  alive INTEGER NOT NULL,
  completed INTEGER NOT NULL DEFAULT 0,
  ended TEXT
);
CREATE TABLE IF NOT EXISTS tasks (
  msg_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  engine_id INTEGER,
  kind TEXT NOT NULL,
  lb INTEGER NOT NULL,
  status TEXT NOT NULL,
  ename TEXT,
  label TEXT NOT NULL,
  submitted REAL NOT NULL,
  started REAL,
  completed REAL,
  result BLOB,
  bytes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tasks_seq ON tasks(seq);
CREATE TABLE IF NOT EXISTS culled (msg_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS culled_seq ON culled(seq);
`;

/** Creates the file readable by its owner only (task results may be secret), or fixes it. */
function ownerOnly(path: string): void {
  try {
    Deno.writeFileSync(path, new Uint8Array(), { createNew: true, mode: 0o600 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    if (Deno.build.os !== "windows") Deno.chmodSync(path, 0o600);
  }
}

/** The state database could not be opened or has an unknown layout. */
export class StateDbError extends IpxError {}

/** An open state database. */
export class StateDb {
  #db: DatabaseSync;
  #path: string;
  #getMeta;
  #setMeta;

  /**
   * Opens (creating if needed) the database and its tables.
   *
   * @param path File path, or `":memory:"`.
   * @param options `exclusive: false` lets other connections open the file while this one is
   *   open (tests that stand in a second controller for a killed one).
   * @throws {StateDbError} when the file cannot be opened or was written by a newer ipx.
   */
  constructor(path = ":memory:", options: { exclusive?: boolean } = {}) {
    this.#path = path;
    try {
      if (path !== ":memory:") ownerOnly(path);
      this.#db = new DatabaseSync(path);
      if (path !== ":memory:") {
        const locking = options.exclusive === false ? "NORMAL" : "EXCLUSIVE";
        this.#db.exec(
          `PRAGMA locking_mode=${locking}; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; ` +
            `PRAGMA wal_autocheckpoint=${WAL_CHECKPOINT_PAGES}; ` +
            `PRAGMA journal_size_limit=${WAL_SIZE_LIMIT_BYTES};`,
        );
      }
      this.#db.exec(SCHEMA);
    } catch (error) {
      throw new StateDbError(
        `Cannot open the controller database ${path}: ${(error as Error).message}; check the ` +
          `file's permissions, or move it away to start with an empty history`,
        { cause: error },
      );
    }
    this.#getMeta = this.#db.prepare("SELECT value FROM meta WHERE key = ?");
    this.#setMeta = this.#db.prepare(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
    const version = this.meta("schema");
    if (version === undefined) this.setMeta("schema", String(SCHEMA_VERSION));
    else if (Number(version) > SCHEMA_VERSION) {
      this.#db.close();
      throw new StateDbError(
        `Cannot use the controller database ${path}: it was written by a newer ipx (schema ` +
          `${version}, this ipx knows ${SCHEMA_VERSION}); upgrade ipx, or move the file away`,
      );
    }
  }

  /** The file path (or `":memory:"`). */
  get path(): string {
    return this.#path;
  }

  /** The underlying connection, for the stores built on it. */
  get db(): DatabaseSync {
    return this.#db;
  }

  /**
   * Reads a setting.
   *
   * @param key Setting name.
   * @returns Its value, or undefined when unset.
   */
  meta(key: string): string | undefined {
    const row = this.#getMeta.get(key) as { value: string } | undefined;
    return row?.value;
  }

  /**
   * Writes a setting.
   *
   * @param key Setting name.
   * @param value New value.
   */
  setMeta(key: string, value: string): void {
    this.#setMeta.run(key, value);
  }

  /**
   * Runs `fn` in one transaction (rolled back if it throws).
   *
   * @param fn The writes.
   */
  transaction(fn: () => void): void {
    this.#db.exec("BEGIN");
    try {
      fn();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Closes the database. Idempotent. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
