/**
 * Controller liveness and engine deaths, driven deterministically: a manual clock, in-memory
 * connections, and scripted fake engines that speak the engine protocol.
 */
import assert from "node:assert/strict";
import { EngineError } from "../client/errors.ts";
import { clientHandshake } from "../protocol/handshake.ts";
import { ManualClock } from "./clock.ts";
import { memoryPair } from "../protocol/memory_transport.ts";
import type { ClientToController, ControllerToClient } from "../protocol/messages.ts";
import {
  FakeEngine,
  reportExit,
  settle,
  setup,
  threeHeld,
} from "../../tests/_helpers/fake_engine.ts";

Deno.test("an engine that stops answering is declared dead after deadAfterMs; its task fails", async () => {
  await using s = await setup();
  const eng = new FakeEngine();
  const { engineId } = await eng.connect(s.controller, s.key);
  await s.client.waitForEngines(1);
  const ar = s.client.directView(engineId).execute("1");
  await eng.next("run");
  s.clock.advance(500); // pings go unanswered (the fake never pongs)
  await settle();
  assert.deepEqual(s.controller.engineIds, [0]);
  s.clock.advance(200); // 700 ms of silence > 600
  await assert.rejects(ar, (e: unknown) => {
    assert(e instanceof EngineError, String(e));
    assert.match(
      e.evalue,
      /engine 0 died while running task .*: no heartbeat for more than 600 ms/,
    );
    return true;
  });
  assert.deepEqual(s.controller.engineIds, []);
  await settle();
  assert.deepEqual(s.client.ids, []);
});

Deno.test("with the default timing, an engine that goes silent is dead within 6 s, not before 4 s", async () => {
  await using s = await setup({}, false); // the controller's defaults
  const eng = new FakeEngine();
  await eng.connect(s.controller, s.key);
  eng.autoPong = true;
  for (let t = 0; t < 7000; t += 100) {
    s.clock.advance(100);
    await settle();
  }
  assert.deepEqual(s.controller.engineIds, [0]);
  eng.autoPong = false; // hangs: its last pong was at most one heartbeat ago
  let after = 0;
  while (s.controller.engineIds.length > 0) {
    s.clock.advance(100);
    after += 100;
    await settle();
    assert(after <= 6000, `still registered ${after} ms after it went silent`);
  }
  assert(after >= 4000, `declared dead after only ${after} ms`);
});

Deno.test("an engine that answers pings stays registered", async () => {
  await using s = await setup();
  const eng = new FakeEngine();
  await eng.connect(s.controller, s.key);
  eng.autoPong = true;
  for (let i = 0; i < 12; i++) {
    s.clock.advance(100);
    await settle();
  }
  assert.deepEqual(s.controller.engineIds, [0]);
});

Deno.test("a stall of the controller itself does not count against its engines", async () => {
  const logged: string[] = [];
  await using s = await setup({ log: (level, line) => void logged.push(`${level} ${line}`) });
  const eng = new FakeEngine();
  await eng.connect(s.controller, s.key);
  eng.autoPong = true;
  const ar = s.client.directView(0).execute("x");
  const run = await eng.next("run");
  s.clock.advance(300);
  await settle();
  // stopped for 6 s (SIGSTOP, a suspended VM): on resuming, the checks fire before the engine's
  // waiting messages are read
  s.clock.stall(6000);
  assert.deepEqual(s.controller.engineIds, [0], "declared dead for the controller's own stall");
  assert(
    logged.some((l) => /^warn the controller did not run for 5\d{3} ms/.test(l)),
    logged.join("\n"),
  );
  await settle();
  eng.result(run.msgId, "done");
  assert.equal((await ar)[0], "done");
  // watching goes on as before: an engine that then goes silent is dead after deadAfterMs
  eng.autoPong = false;
  s.clock.advance(500);
  await settle();
  assert.deepEqual(s.controller.engineIds, [0]);
  s.clock.advance(300);
  await settle();
  assert.deepEqual(s.controller.engineIds, []);
});

/** A manual clock whose wall time can be set back (NTP, a VM's clock fix); its monotonic time cannot. */
class SteppedClock extends ManualClock {
  offset = 0;
  override now(): number {
    return super.now() + this.offset;
  }
}

Deno.test("a wall clock set back does not keep a silent engine alive: liveness runs on monotonic time", async () => {
  const clock = new SteppedClock();
  await using s = await setup({ clock });
  assert.equal(s.clock, clock);
  const eng = new FakeEngine();
  await eng.connect(s.controller, s.key);
  const ar = s.client.directView(0).execute("x");
  await eng.next("run");
  clock.offset = -3_600_000; // an hour back, then the engine goes silent
  s.clock.advance(500);
  await settle();
  assert.deepEqual(s.controller.engineIds, [0]);
  s.clock.advance(200); // 700 ms of silence > 600
  await assert.rejects(ar, /no heartbeat for more than 600 ms/);
  assert.deepEqual(s.controller.engineIds, []);
});

Deno.test("a dropped engine that re-attaches in time keeps its id and its task", async () => {
  await using s = await setup();
  const eng = new FakeEngine();
  await eng.connect(s.controller, s.key);
  const ar = s.client.directView(0).execute("x");
  const run = await eng.next("run");
  eng.channel.close();
  await settle();
  assert.equal(s.client.engines[0]?.id, 0);
  // a task sent while it is away waits for it
  const second = s.client.directView(0).execute("y");
  s.clock.advance(300);
  const again = await eng.connect(s.controller, s.key, { previousId: 0, running: [run.msgId] });
  assert.deepEqual([again.engineId, again.resumed], [0, true]);
  const run2 = await eng.next("run");
  eng.result(run.msgId, "first");
  eng.result(run2.msgId, "second");
  assert.deepEqual(await ar, ["first"]);
  assert.deepEqual(await second, ["second"]);
  assert.equal(s.controller.nextEngineId, 1);
});

Deno.test("an engine declared dead gets a new id when it comes back; its late result is dropped", async () => {
  await using s = await setup();
  const eng = new FakeEngine();
  await eng.connect(s.controller, s.key);
  const ar = s.client.directView(0).execute("x");
  const run = await eng.next("run");
  s.clock.advance(800); // SIGSTOP-like silence
  await assert.rejects(ar, EngineError);
  await settle();
  eng.result(run.msgId, "too late"); // on the old, closed channel: ignored
  const back = await eng.connect(s.controller, s.key, { previousId: 0, running: [run.msgId] });
  assert.deepEqual([back.engineId, back.resumed], [1, false]);
  eng.result(run.msgId, "too late");
  await settle();
  await assert.rejects(ar, EngineError); // still the first outcome
  assert.deepEqual(s.controller.engineIds, [1]);
  const [rec] = await s.client.dbQuery({ msgId: run.msgId }, ["status", "engineId"]);
  assert.deepEqual(rec, { msgId: run.msgId, status: "error", engineId: 0 });
});

Deno.test("a supervisor's exit report kills the engine at once and names the cause", async () => {
  await using s = await setup();
  const eng = new FakeEngine();
  await eng.connect(s.controller, s.key);
  const ar = s.client.directView(0).execute("x");
  await eng.next("run");
  const [a, b] = memoryPair();
  void s.controller.accept(b, "supervisor");
  const sup = await clientHandshake<ClientToController, ControllerToClient>(a, {
    key: s.key,
    role: "client",
  });
  void sup.run(() => {});
  sup.send({
    type: "engine_exited",
    engineId: 0,
    pid: 4242,
    host: "fake",
    how: "killed by signal SIGKILL",
  });
  await settle();
  eng.channel.close(); // the process is gone: its connection closes
  await assert.rejects(ar, (e: unknown) => {
    assert(e instanceof EngineError);
    assert.match(
      e.evalue,
      /died while running task .*: its process ended: killed by signal SIGKILL/,
    );
    return true;
  });
  sup.close();
});

Deno.test("a load-balanced task lost on a dropped engine link goes back to the queue, no retry used", async () => {
  const c = await setup();
  const eng = new FakeEngine();
  await eng.connect(c.controller, c.key);
  await c.client.waitForEngines(1);
  const ar = c.client.loadBalancedView().apply(() => 1); // retries: 0
  const sent = await eng.next("run");
  eng.channel.close(); // the link drops with the task in flight
  await settle();
  await eng.connect(c.controller, c.key, { previousId: 0, running: [], finished: [] });
  const again = await eng.next("run");
  assert.equal(again.msgId, sent.msgId);
  eng.result(again.msgId, 1);
  assert.equal(await ar.get(10_000), 1);
  await c[Symbol.asyncDispose]();
});

Deno.test("an engine's process ends: its first task fails, the ones queued behind it go to another engine, no retry used", async () => {
  await using c = await setup();
  const { eng, other, ars, runs } = await threeHeld(c);
  await reportExit(c.controller, c.key, 0); // its supervisor saw the process end
  eng.channel.close(); // and its connection closes: the first task may have started
  await settle();
  assert.deepEqual(c.controller.engineIds, [1]);
  await assert.rejects(ars[0]!, (e: unknown) => {
    assert(e instanceof EngineError, String(e));
    assert.match(e.evalue, new RegExp(`engine 0 died while running task ${runs[0]!.msgId}: `));
    return true;
  });
  for (const i of [1, 2]) {
    const moved = await other.next("run");
    assert.equal(moved.msgId, runs[i]!.msgId);
    other.result(moved.msgId, `ran on engine 1`);
    assert.equal(await ars[i]!.get(10_000), "ran on engine 1");
  }
  const recs = await c.client.dbQuery({ msgId: { $in: runs.map((r) => r.msgId) } }, [
    "status",
    "engineId",
  ]);
  assert.deepEqual(recs.map((r) => [r.status, r.engineId]), [["error", 0], ["ok", 1], ["ok", 1]]);
});

Deno.test("an engine only gone silent may still run its queue: all its tasks fail, none runs twice", async () => {
  await using c = await setup();
  const { eng, ars, runs } = await threeHeld(c);
  eng.channel.close(); // cut off, no word of its process: it may be running them all still
  for (let t = 0; t < 700; t += 100) {
    c.clock.advance(100);
    await settle();
  }
  assert.deepEqual(c.controller.engineIds, [1]);
  for (const [i, ar] of ars.entries()) {
    await assert.rejects(ar, (e: unknown) => {
      assert(e instanceof EngineError, String(e));
      assert.match(e.evalue, new RegExp(`engine 0 died while running task ${runs[i]!.msgId}: `));
      return true;
    });
  }
});
