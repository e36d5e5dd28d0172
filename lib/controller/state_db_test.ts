import assert from "node:assert/strict";
import {
  SCHEMA_VERSION,
  StateDb,
  StateDbError,
  WAL_CHECKPOINT_PAGES,
  WAL_SIZE_LIMIT_BYTES,
} from "./state_db.ts";

Deno.test("StateDb keeps meta across reopen and refuses a newer schema", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ipx-db-" });
  try {
    const path = `${dir}/ipx.sqlite`;
    const a = new StateDb(path);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.equal(a.meta("schema"), String(SCHEMA_VERSION));
    a.setMeta("port", "4242");
    a.transaction(() => a.setMeta("k", "1"));
    assert.throws(() =>
      a.transaction(() => {
        a.setMeta("k", "2");
        throw new Error("boom");
      }), /boom/);
    assert.equal(a.meta("k"), "1");
    a.setMeta("schema", String(SCHEMA_VERSION + 1));
    a.close();
    a.close();
    assert.throws(() => new StateDb(path), (e: unknown) => {
      assert(e instanceof StateDbError);
      assert.match(e.message, /newer ipx/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StateDb on an unusable path says what to check", () => {
  assert.throws(() => new StateDb("/nonexistent-dir/x/ipx.sqlite"), (e: unknown) => {
    assert(e instanceof StateDbError);
    assert.match(e.message, /Cannot open the controller database/);
    return true;
  });
});

Deno.test("StateDb on a file journals with WAL and checkpoints every WAL_CHECKPOINT_PAGES pages", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ipx-db-" });
  try {
    const db = new StateDb(`${dir}/ipx.sqlite`);
    try {
      const pragma = (name: string) =>
        Object.values(db.db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown>)[0];
      assert.equal(pragma("journal_mode"), "wal");
      assert.equal(pragma("wal_autocheckpoint"), WAL_CHECKPOINT_PAGES);
      assert.equal(pragma("journal_size_limit"), WAL_SIZE_LIMIT_BYTES);
      assert.equal(pragma("synchronous"), 1); // NORMAL
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
