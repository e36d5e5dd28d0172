import assert from "node:assert/strict";
import { join } from "node:path";
import { History } from "./history.ts";
import { withTempDir } from "../protocol/testing.ts";

Deno.test("History.load() of a missing file is empty; add() creates it privately", async () => {
  await withTempDir("ipx_repl_history_", async (dir) => {
    const path = join(dir, "profile_x", "history");
    const h = await History.load(path);
    assert.deepEqual(h.entries, []);
    await h.add("%px 1");
    await h.add("   ");
    await h.add("let a = 1");
    assert.equal(await Deno.readTextFile(path), "%px 1\nlet a = 1\n");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual((await History.load(path)).newestFirst, ["let a = 1", "%px 1"]);
  });
});

Deno.test("History keeps the newest copy of repeated lines", async () => {
  await withTempDir("ipx_repl_history_", async (dir) => {
    const path = join(dir, "history");
    await Deno.writeTextFile(path, "a\nb\na\nc\n\n");
    const h = await History.load(path);
    assert.deepEqual(h.entries, ["b", "a", "c"]);
    await h.add("b");
    assert.deepEqual(h.entries, ["a", "c", "b"]);
    assert.equal(await Deno.readTextFile(path), "a\nc\nb\n");
  });
});

Deno.test("History is bounded, dropping the oldest entries", async () => {
  await withTempDir("ipx_repl_history_", async (dir) => {
    const path = join(dir, "history");
    await Deno.writeTextFile(path, Array.from({ length: 10 }, (_, i) => `l${i}`).join("\n"));
    const h = await History.load(path, { limit: 4 });
    assert.deepEqual(h.entries, ["l6", "l7", "l8", "l9"]);
    await h.add("new");
    assert.deepEqual(h.entries, ["l7", "l8", "l9", "new"]);
    assert.equal((await Deno.readTextFile(path)).split("\n").filter(Boolean).length, 4);
  });
});

Deno.test("History.add() rejects when the file cannot be written, then recovers", async () => {
  await withTempDir("ipx_repl_history_", async (dir) => {
    const sub = join(dir, "sub");
    const h = await History.load(join(sub, "history"));
    await Deno.writeTextFile(sub, "a file where the directory should be");
    await assert.rejects(h.add("x"));
    await Deno.remove(sub);
    await h.add("y");
    assert.equal(await Deno.readTextFile(join(sub, "history")), "x\ny\n");
  });
});

Deno.test("History keeps a cell of several lines as one entry", async () => {
  await withTempDir("ipx_repl_history_", async (dir) => {
    const path = join(dir, "history");
    await Deno.writeTextFile(path, "old\n");
    const h = await History.load(path);
    await h.add("function f() {\n  return 1\n}");
    await h.add("%px 1");
    assert.equal(await Deno.readTextFile(path), "old\nfunction f() {\r  return 1\r}\n%px 1\n");
    assert.deepEqual((await History.load(path)).newestFirst, [
      "%px 1",
      "function f() {\n  return 1\n}",
      "old",
    ]);
  });
});
