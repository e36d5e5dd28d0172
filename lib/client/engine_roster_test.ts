import assert from "node:assert/strict";
import type { EngineInfo } from "../protocol/messages.ts";
import { EngineRoster, GONE_WHILE_DOWN } from "./engine_roster.ts";

function info(id: number): EngineInfo {
  return { id, host: "h", pid: 100 + id, dataDir: "/d", state: "idle", queue: 0, registeredAt: 0 };
}

Deno.test("EngineRoster: the first list is the starting point, later changes are events", () => {
  const r = new EngineRoster();
  assert.deepEqual(r.list([info(1), info(0)]), []);
  assert.deepEqual(r.engines.map((e) => e.id), [0, 1]);
  assert.deepEqual(r.registered(info(2)), [{ type: "registered", engine: info(2) }]);
  assert.deepEqual(r.unregistered(1, "no heartbeat"), [
    { type: "unregistered", engineId: 1, reason: "no heartbeat" },
  ]);
  assert.deepEqual(r.engines.map((e) => e.id), [0, 2]);
  // an engine this client never knew going away is not news
  assert.deepEqual(r.unregistered(9, "no heartbeat"), []);
});

Deno.test("EngineRoster: a reconnect tells what changed while the link was down", () => {
  const r = new EngineRoster();
  r.list([info(0), info(1), info(2)]);
  // same controller, link back: engine 1 died meanwhile, engine 3 registered meanwhile
  assert.deepEqual(r.list([info(0), info(2), info(3)]), [
    { type: "unregistered", engineId: 1, reason: GONE_WHILE_DOWN },
    { type: "registered", engine: info(3) },
  ]);
  assert.deepEqual(r.engines.map((e) => e.id), [0, 2, 3]);
  // nothing changed: nothing said
  assert.deepEqual(r.list([info(0), info(2), info(3)]), []);
});

Deno.test("EngineRoster: after a controller restart, restored engines are awaited, not reported gone", () => {
  const r = new EngineRoster();
  r.list([info(0), info(1), info(2)]);
  // restarted controller: 0 re-attached already, 1 and 2 restored and awaited; 7 (unknown) too
  assert.deepEqual(r.list([info(0)], [1, 2, 7]), []);
  assert.deepEqual(r.engines.map((e) => e.id), [0]);
  assert.deepEqual(r.registered(info(1)), [
    { type: "registered", engine: info(1), reattached: true },
  ]);
  assert.deepEqual(r.unregistered(2, "it did not re-attach"), [
    { type: "unregistered", engineId: 2, reason: "it did not re-attach" },
  ]);
  assert.deepEqual(r.unregistered(7, "it did not re-attach"), []);
  // another disconnect while 2 is still ... gone: nothing more about it
  assert.deepEqual(r.list([info(0), info(1)]), []);
});

Deno.test("EngineRoster: a restored engine missing from a second reconnect's list is reported gone", () => {
  const r = new EngineRoster();
  r.list([info(0), info(1)]);
  assert.deepEqual(r.list([info(0)], [1]), []);
  // the link dropped again before 1 re-attached; the controller gave up on it meanwhile
  assert.deepEqual(r.list([info(0)]), [
    { type: "unregistered", engineId: 1, reason: GONE_WHILE_DOWN },
  ]);
});
