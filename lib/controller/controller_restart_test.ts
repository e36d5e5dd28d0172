/**
 * Controller restarts, driven deterministically: engines re-attach with their ids, records and
 * results survive, and tasks in flight are neither lost nor run twice.
 */
import assert from "node:assert/strict";
import { generateKey } from "../protocol/auth.ts";
import { Client } from "../client/client.ts";
import type { EngineEvent } from "../client/session.ts";
import { ConnectionError } from "../protocol/errors.ts";
import { memoryPair } from "../protocol/memory_transport.ts";
import { ManualClock } from "./clock.ts";
import { Controller } from "./controller.ts";
import { StateDb } from "./state_db.ts";
import { FakeEngine, settle, setup } from "../../tests/_helpers/fake_engine.ts";
import { within } from "../../tests/_helpers/within.ts";

Deno.test("controller restart: engines re-attach with their ids, records and results survive", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ipx-ctl-" });
  try {
    const db = `${dir}/ipx.sqlite`;
    // not exclusive: the first controller's handle stays open while the second one opens it
    const first = await setup({ db: new StateDb(db, { exclusive: false }), restoreGraceMs: 1000 });
    const eng = new FakeEngine();
    const other = new FakeEngine();
    await eng.connect(first.controller, first.key);
    await other.connect(first.controller, first.key);
    const finished = first.client.directView(0).execute("1");
    const r1 = await eng.next("run");
    eng.result(r1.msgId, "kept");
    assert.deepEqual(await finished, ["kept"]);
    const running = first.client.directView(0).execute("2");
    const r2 = await eng.next("run");
    const queuedLb = first.client.loadBalancedView({ targets: [1] }).execute("3");
    const r3 = await other.next("run");
    other.result(r3.msgId, "lb done");
    await queuedLb;
    first.clock.advance(150); // the unfinished record is written by the flush timer
    // "kill" the controller: a second one opens the same database
    const key = first.key;
    const second = await setup({
      db: new StateDb(db, { exclusive: false }),
      key,
      restoreGraceMs: 1000,
    });
    await first.client.close();
    await first.controller.close();
    assert.deepEqual(second.controller.engineIds, []); // restored, not yet re-attached
    const back = await eng.connect(second.controller, key, { previousId: 0, running: [r2.msgId] });
    assert.deepEqual([back.engineId, back.resumed], [0, true]);
    await second.client.waitForEngines(1);
    assert.deepEqual(second.client.ids, [0]);
    // the old result is there, from a new client
    assert.deepEqual(await second.client.getResult(r1.msgId), ["kept"]);
    // the task that was running finishes and reaches whoever follows it
    const follow = second.client.getResult(r2.msgId);
    await settle();
    eng.result(r2.msgId, "after restart");
    assert.deepEqual(await follow, ["after restart"]);
    // its first client was closed before it finished: told to fetch it by id
    await assert.rejects(running, new RegExp(`getResult\\("${r2.msgId}"\\)`));
    // engine 1 never came back: declared dead after the grace period; ids are never reused
    eng.autoPong = true;
    for (let t = 0; t < 1200; t += 100) {
      second.clock.advance(100);
      await settle();
    }
    assert.deepEqual(second.controller.engineIds, [0]);
    const newcomer = new FakeEngine();
    assert.equal((await newcomer.connect(second.controller, key)).engineId, 2);
    const history = await second.client.history();
    assert.deepEqual(history, [r1.msgId, r2.msgId, r3.msgId]);
    await second[Symbol.asyncDispose]();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a clean stop restarts ids at 0 only when no engine and no task record is left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ipx-ctl-" });
  try {
    const db = `${dir}/ipx.sqlite`;
    const key = generateKey();
    /** One controller's life: an engine registers, maybe runs a task, dies; a clean stop. */
    const life = async (runTask: boolean) => {
      const sdb = new StateDb(db);
      const s = await setup({ db: sdb, key });
      const eng = new FakeEngine();
      const { engineId } = await eng.connect(s.controller, key);
      if (runTask) {
        const ar = s.client.directView(engineId).execute("1");
        eng.result((await eng.next("run")).msgId, "done");
        await ar;
      }
      eng.channel.close();
      s.clock.advance(700); // declared dead: no engine left
      await settle();
      assert.deepEqual(s.controller.engineIds, []);
      const reset = s.controller.resetIfNoEngines();
      await s[Symbol.asyncDispose]();
      sdb.close();
      return { engineId, reset };
    };
    assert.deepEqual(await life(false), { engineId: 0, reset: true });
    assert.deepEqual(await life(true), { engineId: 0, reset: false }); // a record names engine 0
    assert.deepEqual(await life(false), { engineId: 1, reset: false }); // so 0 is not given again
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("restart: a task still queued is lost by the controller and resubmitted by its client", async () => {
  await using r = await restartPair();
  const lv = r.client.loadBalancedView({ hwm: 1 });
  const busy = lv.apply(() => 1);
  const first = await r.eng.next("run");
  const queued = lv.apply(() => 2); // waits: engine 0 is at its high-water mark
  await settle();
  r.clock.advance(150); // the queued record is written by the flush timer
  await r.restart(); // drops every link: the client and the engine reconnect
  await r.eng.connect(r.state.current, r.key, { previousId: 0, running: [first.msgId] });
  r.eng.result(first.msgId, "one");
  assert.equal(await busy.get(10_000), "one");
  const again = await r.eng.next("run"); // the client submitted the lost task again, same id
  assert.equal(again.msgId, queued.msgIds[0]);
  r.eng.result(again.msgId, "two");
  assert.equal(await queued.get(10_000), "two");
});

Deno.test("restart: a client is told which engines came back and which never did", async () => {
  await using r = await restartPair();
  const other = new FakeEngine();
  await other.connect(r.state.current, r.key);
  other.autoPong = true;
  await r.client.waitForEngines(2);
  const events: EngineEvent[] = [];
  const seen = (n: number) => {
    const { promise, resolve } = Promise.withResolvers<void>();
    const off = r.client.onEngine(() => events.length >= n && resolve());
    return promise.finally(off);
  };
  r.client.onEngine((e) => events.push(e));
  r.clock.advance(150);
  await r.restart();
  // the client is back (it has the new controller's engine list) before engine 0 re-attaches
  for (;;) {
    try {
      await r.client.queueStatus();
      break;
    } catch (error) {
      if (!(error instanceof ConnectionError)) throw error; // asked on the dropped link
    }
  }
  assert.equal(events.length, 0); // both are awaited, neither is reported gone
  assert.deepEqual(r.client.ids, []);
  const back = seen(1);
  await r.eng.connect(r.state.current, r.key, { previousId: 0 });
  await within(back, 20_000, "re-attached engine event");
  assert.equal(events[0]!.type, "registered");
  assert.deepEqual(events[0], {
    type: "registered",
    engine: r.client.engines[0],
    reattached: true,
  });
  // engine 1 never comes back: the client hears of it when the controller gives up on it
  const gone = seen(2);
  for (let t = 0; t <= 10_000 + 600; t += 100) {
    r.clock.advance(100);
    await settle();
  }
  await within(gone, 20_000, "event for the engine that never came back");
  assert.equal(events.length, 2);
  const last = events[1]!;
  assert(last.type === "unregistered" && last.engineId === 1, JSON.stringify(last));
  assert.match(last.reason, /did not re-attach within 10000 ms of the controller restart/);
  assert.deepEqual(r.client.ids, [0]);
});

/**
 * A controller on a database in a temp dir, a client and a fake engine; `restart()` kills the
 * controller and opens a new one on the same database (it stands in for the first after a crash).
 * Disposing closes everything and removes the dir.
 */
async function restartPair() {
  const dir = await Deno.makeTempDir({ prefix: "ipx-ctl-" });
  const db = `${dir}/ipx.sqlite`;
  const key = generateKey();
  const clock = new ManualClock();
  const make = () =>
    new Controller({
      key,
      clock,
      db: new StateDb(db, { exclusive: false }), // a second one opens it before the first closes
      heartbeatMs: 100,
      deadAfterMs: 600,
    });
  const state = { current: make() };
  const connect = () => {
    const [a, b] = memoryPair();
    void state.current.accept(b, "client");
    return Promise.resolve(a);
  };
  const client = await Client.connectWith({ connect, key, reconnectForMs: 10_000 });
  const eng = new FakeEngine();
  await eng.connect(state.current, key);
  eng.autoPong = true;
  await client.waitForEngines(1);
  return {
    key,
    clock,
    client,
    eng,
    state,
    /** Kills the controller (a new one opens the database; every link drops). */
    async restart(): Promise<void> {
      const old = state.current;
      state.current = make();
      await old.close();
    },
    async [Symbol.asyncDispose](): Promise<void> {
      await client.close();
      await state.current.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

for (const kind of ["direct", "load-balanced"] as const) {
  Deno.test(`restart: a ${kind} task its engine never received runs again, once`, async () => {
    await using r = await restartPair();
    const view = kind === "direct" ? r.client.directView(0) : r.client.loadBalancedView();
    const ar = view.apply(() => 7);
    const sent = await r.eng.next("run"); // on disk as placed; the engine "never gets" it
    await r.restart();
    await r.eng.connect(r.state.current, r.key, { previousId: 0, running: [], finished: [] });
    const again = await r.eng.next("run"); // its client submitted it again, same id
    assert.equal(again.msgId, sent.msgId);
    r.eng.result(again.msgId, 7);
    assert.deepEqual(await ar.get(10_000), kind === "direct" ? [7] : 7);
    assert.equal(r.eng.received.filter((m) => m.type === "run").length, 0, "run once more only");
  });
}

Deno.test("restart: a result lost on the way is sent again by its engine, not run again", async () => {
  await using r = await restartPair();
  const ar = r.client.loadBalancedView().apply(() => 7);
  const sent = await r.eng.next("run");
  await r.restart(); // its result was written to the old controller's socket, and lost
  await r.eng.connect(r.state.current, r.key, {
    previousId: 0,
    running: [],
    finished: [sent.msgId],
  });
  const asked = await r.eng.next("resend");
  assert.deepEqual(asked.msgIds, [sent.msgId]);
  r.eng.result(sent.msgId, 7);
  assert.equal(await ar.get(10_000), 7);
  assert.equal(r.eng.received.filter((m) => m.type === "run").length, 0, "not run again");
});

for (const retries of [1, 0]) {
  Deno.test(`restart: a task whose engine then dies is retried by its client: retries ${retries}`, async () => {
    await using r = await restartPair();
    const ar = r.client.loadBalancedView({ retries }).apply(() => 7);
    const sent = await r.eng.next("run");
    await r.restart(); // engine 0 does not come back: it died with the task
    const other = new FakeEngine();
    await other.connect(r.state.current, r.key);
    other.autoPong = true;
    for (let t = 0; t < 11_000; t += 500) {
      r.clock.advance(500); // past the grace restored engines have to re-attach
      await settle();
    }
    if (retries === 0) {
      await assert.rejects(ar.get(10_000), (e: Error) => e.name === "EngineError");
      assert.equal(other.received.filter((m) => m.type === "run").length, 0);
      return;
    }
    const again = await other.next("run"); // submitted again by its client, same id
    assert.equal(again.msgId, sent.msgId);
    other.result(again.msgId, 7);
    assert.equal(await ar.get(10_000), 7);
    const [rec] = await r.client.dbQuery({ msgId: sent.msgId }, ["status", "engineId"]);
    assert.deepEqual([rec!.status, rec!.engineId], ["ok", 1]);
  });
}
