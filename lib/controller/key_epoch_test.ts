import assert from "node:assert/strict";
import { EngineTable } from "./engine_table.ts";
import { dropEnginesOfOldKey, keyFingerprint } from "./key_epoch.ts";
import { StateDb } from "./state_db.ts";

Deno.test("dropEnginesOfOldKey: engines of the same key stay restorable; a new key drops them once", () => {
  const sdb = new StateDb();
  const t = new EngineTable(sdb);
  const lines: string[] = [];
  const log = (_: string, m: string) => void lines.push(m);
  assert.deepEqual(dropEnginesOfOldKey(sdb, t, "key-1", log), [], "a fresh database");
  const row = { uuid: "u", host: "h", pid: 1, dataDir: "/d", registeredAt: 5 };
  t.registered({ ...row, id: 0 }, 1);
  t.registered({ ...row, id: 1, uuid: "v" }, 2);
  assert.deepEqual(dropEnginesOfOldKey(sdb, t, "key-1", log), [], "restarted with its key");
  assert.deepEqual(t.alive().map((r) => r.id), [0, 1]);
  assert.deepEqual(dropEnginesOfOldKey(sdb, t, "key-2", log), [0, 1]);
  assert.deepEqual(t.alive(), []);
  assert.match(lines.join("\n"), /engine\(s\) 0, 1 registered with the old one cannot re-attach/);
  assert.equal(t.nextId(), 2, "ids are never reused");
  assert.deepEqual(dropEnginesOfOldKey(sdb, t, "key-2", log), []);
  // only a fingerprint of the key is kept
  assert.equal(sdb.meta("keyFingerprint"), keyFingerprint("key-2"));
  assert.doesNotMatch(sdb.meta("keyFingerprint") ?? "", /key-2/);
  sdb.close();
});
