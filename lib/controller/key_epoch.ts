/**
 * Engines registered under another key cannot re-attach: a controller restarted with a new key
 * (its key file was removed) refuses their handshakes, and their supervisors start replacements
 * that register as new engines. Such a controller does not restore them from its database (it
 * would wait its restore grace for engines that never come, holding their tasks); their tasks
 * fail at once instead, as tasks of engines gone in a restart do.
 *
 * The database remembers which key it served by a short fingerprint (the first 16 hex digits of
 * the key's SHA-256), never the key.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Logger } from "./log.ts";
import type { EngineTable } from "./engine_table.ts";
import type { StateDb } from "./state_db.ts";

/** Meta entry holding the fingerprint of the key the database's engines registered with. */
const META = "keyFingerprint";

/**
 * A key's fingerprint, as kept in the database.
 *
 * @param key The base64 key.
 * @returns 16 hex digits.
 */
export function keyFingerprint(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/**
 * Marks dead the engines the database holds as alive when they registered under another key,
 * then records the current key's fingerprint. Call before the engine registry restores engines.
 *
 * @param sdb The controller's database.
 * @param table Its engine table.
 * @param key The key the controller serves now.
 * @param log Where to say what was dropped.
 * @returns The ids marked dead.
 */
export function dropEnginesOfOldKey(
  sdb: StateDb,
  table: EngineTable,
  key: string,
  log: Logger,
): number[] {
  const now = keyFingerprint(key);
  const before = sdb.meta(META);
  const dropped: number[] = [];
  if (before !== undefined && before !== now) {
    for (const row of table.alive()) {
      table.died(
        row.id,
        "the controller restarted with a new key: it cannot re-attach (its replacement " +
          "registers as a new engine)",
      );
      dropped.push(row.id);
    }
    if (dropped.length) {
      log(
        "info",
        `the key changed since the last run: engine(s) ${dropped.join(", ")} registered with ` +
          `the old one cannot re-attach and are not restored (engines started from the ` +
          `rewritten ipx-engine.json register as new ones)`,
      );
    }
  }
  if (before !== now) sdb.setMeta(META, now);
  return dropped;
}
