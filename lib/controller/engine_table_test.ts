import assert from "node:assert/strict";
import { EngineTable } from "./engine_table.ts";
import { StateDb } from "./state_db.ts";

Deno.test("EngineTable never hands out an id twice, even after dead engines", () => {
  const sdb = new StateDb();
  const t = new EngineTable(sdb);
  assert.equal(t.nextId(), 0);
  const row = { uuid: "u", host: "h", pid: 1, dataDir: "/d", registeredAt: 5 };
  t.registered({ ...row, id: 0 }, 1);
  t.registered({ ...row, id: 1, uuid: "v" }, 2);
  t.died(1, "killed");
  assert.equal(t.nextId(), 2);
  assert.deepEqual(t.alive().map((r) => r.id), [0]);
  // the counter also survives when the highest engine row is gone
  sdb.setMeta("next_engine_id", "9");
  assert.equal(new EngineTable(sdb).nextId(), 9);
  sdb.close();
});
