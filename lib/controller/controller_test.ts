/**
 * Controller liveness, re-attachment and restart, driven deterministically: a manual clock,
 * in-memory connections, and scripted fake engines that speak the engine protocol.
 */
import assert from "node:assert/strict";
import { Client } from "../client/client.ts";
import { EngineError } from "../client/errors.ts";
import type { Channel } from "../protocol/channel.ts";
import { encodeValue } from "../protocol/codec.ts";
import { generateKey } from "../protocol/auth.ts";
import { clientHandshake } from "../protocol/handshake.ts";
import { memoryPair } from "../protocol/memory_transport.ts";
import type {
  ClientToController,
  ControllerToClient,
  ControllerToEngine,
  EngineToController,
  MsgId,
} from "../protocol/messages.ts";
import { ManualClock } from "./clock.ts";
import { Controller, type ControllerOptions } from "./controller.ts";
import { StateDb } from "./state_db.ts";

type Msg<T extends ControllerToEngine["type"]> = Extract<ControllerToEngine, { type: T }>;

/** A scripted engine: registers, records what it receives, answers only when told. */
class FakeEngine {
  readonly uuid: string;
  channel!: Channel<EngineToController, ControllerToEngine>;
  received: ControllerToEngine[] = [];
  /** Answer pings (a live engine) or not (a hung one). */
  autoPong = false;
  #waiters: { type: string; resolve: (m: ControllerToEngine) => void }[] = [];

  constructor(uuid = crypto.randomUUID()) {
    this.uuid = uuid;
  }

  async connect(
    controller: Controller,
    key: string,
    extra: { previousId?: number; running?: MsgId[]; finished?: MsgId[] } = {},
  ): Promise<Msg<"registered">> {
    const [a, b] = memoryPair();
    void controller.accept(b, "fake-engine");
    this.channel = await clientHandshake<EngineToController, ControllerToEngine>(a, {
      key,
      role: "engine",
    });
    this.received = [];
    void this.channel.run((m) => {
      if (m.type === "ping" && this.autoPong) {
        return this.channel.send({ type: "pong", t: m.t });
      }
      const waiter = this.#waiters.find((w) => w.type === m.type);
      if (!waiter) return void this.received.push(m);
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(m);
    });
    const registered = this.next("registered");
    this.channel.send({
      type: "register",
      uuid: this.uuid,
      pid: 4242,
      host: "fake",
      dataDir: "/tmp",
      denoVersion: "x",
      ...extra,
    });
    return await registered;
  }

  next<T extends ControllerToEngine["type"]>(type: T): Promise<Msg<T>> {
    const seen = this.received.find((m) => m.type === type);
    if (seen) {
      this.received.splice(this.received.indexOf(seen), 1);
      return Promise.resolve(seen as Msg<T>);
    }
    return new Promise((resolve) =>
      this.#waiters.push({ type, resolve: resolve as (m: ControllerToEngine) => void })
    );
  }

  result(msgId: MsgId, value: unknown): void {
    this.channel.send({
      type: "result",
      msgId,
      ok: true,
      value: encodeValue(value),
      executionCount: 1,
      started: 1,
      completed: 2,
    });
  }
}

async function setup(options: Partial<ControllerOptions> = {}, liveness = true) {
  const key = options.key ?? generateKey();
  const clock = new ManualClock();
  const controller = new Controller({
    key,
    clock,
    ...(liveness ? { heartbeatMs: 100, deadAfterMs: 600 } : {}),
    ...options,
  });
  const connect = () => {
    const [a, b] = memoryPair();
    void controller.accept(b, "client");
    return Promise.resolve(a);
  };
  const client = await Client.connectWith({ connect, key, reconnectForMs: 0 });
  return {
    key,
    clock,
    controller,
    client,
    async [Symbol.asyncDispose]() {
      await client.close();
      await controller.close();
    },
  };
}

/** Lets in-memory messages travel (they cross several promise hops). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

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

Deno.test("with the default timing, an engine that goes silent is dead within 2 s", async () => {
  await using s = await setup({}, false); // the controller's defaults
  const eng = new FakeEngine();
  await eng.connect(s.controller, s.key);
  eng.autoPong = true;
  for (let t = 0; t < 2000; t += 100) {
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
    assert(after <= 2000, `still registered ${after} ms after it went silent`);
  }
  assert(after >= 1000, `declared dead after only ${after} ms`);
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

/** Sends what an engine supervisor sends when one of its engine processes ended. */
async function reportExit(controller: Controller, key: string, engineId: number): Promise<void> {
  const [a, b] = memoryPair();
  void controller.accept(b, "supervisor");
  const ch = await clientHandshake<ClientToController, ControllerToClient>(a, {
    key,
    role: "client",
  });
  void ch.run(() => {});
  ch.send({ type: "engine_exited", engineId, pid: 4242, host: "fake", how: "killed by SIGKILL" });
  await ch.flush();
  ch.close();
}

/** Three load-balanced tasks held by engine 0, and a second engine to take them over. */
async function threeHeld(c: Awaited<ReturnType<typeof setup>>) {
  const eng = new FakeEngine();
  await eng.connect(c.controller, c.key);
  await c.client.waitForEngines(1);
  const lv = c.client.loadBalancedView({ hwm: 3 }); // retries: 0
  const ars = [1, 2, 3].map((n) => lv.apply((x: number) => x, n));
  const runs = [await eng.next("run"), await eng.next("run"), await eng.next("run")];
  const other = new FakeEngine();
  other.autoPong = true;
  await other.connect(c.controller, c.key);
  return { eng, other, ars, runs };
}

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
