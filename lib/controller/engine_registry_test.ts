import assert from "node:assert/strict";
import { ManualClock } from "./clock.ts";
import type { EngineChannel } from "./engine_entry.ts";
import { EngineRegistry } from "./engine_registry.ts";
import { EngineTable } from "./engine_table.ts";
import { StateDb } from "./state_db.ts";

/** A stand-in for an engine's channel: only what liveness reads, and bytes that keep arriving. */
function stubChannel(): EngineChannel & { bytesRead: number } {
  return { bytesRead: 0, send() {}, close() {} } as unknown as EngineChannel & {
    bytesRead: number;
  };
}

Deno.test("EngineRegistry: bytes of a message still arriving keep an engine alive; silence does not", () => {
  const clock = new ManualClock();
  const db = new StateDb();
  const gone: string[] = [];
  const registry = new EngineRegistry(
    new EngineTable(db),
    {
      clock,
      log: (_level, line) => void (/is dead/.test(line) && gone.push(line)),
      broadcast() {},
      lost() {},
      started: () => false,
      added() {},
      removed() {},
    },
    { heartbeatMs: 100, deadAfterMs: 600, restoreGraceMs: 10_000 },
    new Map(),
  );
  const channel = stubChannel();
  registry.register(channel, {
    type: "register",
    uuid: "u-1",
    pid: 1,
    host: "h",
    dataDir: "/d",
    denoVersion: "2",
  }, "test");
  // a big frame arriving for 3 s: no whole message, but its bytes keep coming
  for (let t = 0; t < 3000; t += 100) {
    channel.bytesRead += 64 * 1024;
    clock.advance(100);
    registry.reap(100);
  }
  assert.deepEqual(registry.ids, [0], gone.join("\n"));
  // then nothing at all: dead after deadAfterMs
  for (let t = 0; t < 800; t += 100) {
    clock.advance(100);
    registry.reap(100);
  }
  assert.deepEqual(registry.ids, []);
  assert.match(gone.join("\n"), /no heartbeat for more than 600 ms/);
  db.close();
});

Deno.test("EngineRegistry: an engine that ended fails its first task as running, the ones behind it as never started", () => {
  const db = new StateDb();
  const lost: [string, string, boolean][] = [];
  const registry = new EngineRegistry(
    new EngineTable(db),
    {
      clock: new ManualClock(),
      log() {},
      broadcast() {},
      lost: (_entry, msgId, error, unstarted) =>
        void lost.push([msgId, error.evalue, unstarted === true]),
      started: (msgId) => msgId === "c", // "c" said it started: it may have run
      added() {},
      removed() {},
    },
    { heartbeatMs: 100, deadAfterMs: 600, restoreGraceMs: 10_000 },
    new Map(),
  );
  const entry = registry.register(stubChannel(), {
    type: "register",
    uuid: "u-1",
    pid: 1,
    host: "h",
    dataDir: "/d",
    denoVersion: "2",
  }, "test")!;
  for (const msgId of ["a", "b", "c"]) entry.running.add(msgId);
  registry.gone(entry, "it stopped (SIGTERM)", true);
  assert.deepEqual(lost, [
    ["a", "engine 0 died while running task a: it stopped (SIGTERM)", false],
    [
      "b",
      "engine 0 died before task b started on it (it was queued there): it stopped (SIGTERM)",
      true,
    ],
    ["c", "engine 0 died while running task c: it stopped (SIGTERM)", false],
  ]);
  db.close();
});
