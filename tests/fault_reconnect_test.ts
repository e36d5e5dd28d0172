/**
 * Dropped connections, in memory: engines and clients reconnect by themselves, keep their
 * ids and tasks, and nothing is silently lost. A real Engine (sandboxed executor) and a real
 * Client talk to a Controller over in-memory links the test can cut.
 */
import assert, { rejects } from "node:assert/strict";
import { Client, EngineError, RemoteError, TaskAborted } from "../mod.ts";
import { GONE_WHILE_DOWN } from "../lib/client/engine_roster.ts";
import type { EngineEvent } from "../lib/client/session.ts";
import { Controller } from "../lib/controller/controller.ts";
import type { Logger } from "../lib/controller/log.ts";
import { Engine } from "../lib/engine/engine.ts";
import { Executor } from "../lib/engine/executor.ts";
import { generateKey } from "../lib/protocol/auth.ts";
import { ConnectionError } from "../lib/protocol/errors.ts";
import { memoryPair } from "../lib/protocol/memory_transport.ts";
import type { ByteConn } from "../lib/protocol/transport.ts";
import { whenFile } from "./_helpers/gates.ts";
import { within } from "./_helpers/within.ts";

/** Resolves once a task printed its first output (it is running on its engine). */
function running(ar: { onOutput(l: () => void): () => void }): Promise<void> {
  const seen = Promise.withResolvers<void>();
  const off = ar.onOutput(() => seen.resolve());
  return seen.promise.finally(off);
}

/** A controller whose links (engine- and client-side ends) the test can cut. */
async function setup(deadAfterMs = 2000, log?: Logger) {
  const key = generateKey();
  const dataDir = await Deno.makeTempDir({ prefix: "ipx-reconnect-" });
  const controller = new Controller({ key, heartbeatMs: 50, deadAfterMs, ...(log ? { log } : {}) });
  const links: ByteConn[] = [];
  let refuse = 0;
  let holdClients = false;
  const connect = () => {
    if (refuse > 0) {
      refuse--;
      return Promise.reject(new ConnectionError("refused (test)"));
    }
    const [a, b] = memoryPair();
    links.push(a);
    void controller.accept(b, "memory");
    return Promise.resolve(a);
  };
  const engines: Engine[] = [];
  const clients: Client[] = [];
  return {
    key,
    dataDir,
    controller,
    links,
    connect,
    refuseNext(n: number) {
      refuse = n;
    },
    /** While on, clients cannot connect (engines can). */
    holdClients(on: boolean) {
      holdClients = on;
    },
    async engine(): Promise<Engine> {
      const executor = await Executor.create({ dataDir });
      const e = new Engine({ connect, key, keySource: "memory", executor, dataDir });
      engines.push(e);
      return e;
    },
    async client(): Promise<Client> {
      const c = await Client.connectWith({
        connect: () =>
          holdClients ? Promise.reject(new ConnectionError("refused (test)")) : connect(),
        key,
        reconnectForMs: 10_000,
      });
      clients.push(c);
      return c;
    },
    async [Symbol.asyncDispose]() {
      for (const c of clients) await c.close();
      for (const e of engines) await e.stop();
      await controller.close();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test("an engine whose link drops reconnects, keeps its id, and finishes its task", async () => {
  await using s = await setup();
  const engine = await s.engine();
  const ids: number[] = [];
  const reregistered = Promise.withResolvers<void>();
  const eng = new Engine({
    connect: () => {
      const [a, b] = memoryPair();
      s.links.push(a);
      void s.controller.accept(b, "memory");
      return Promise.resolve(a);
    },
    key: s.key,
    keySource: "memory",
    executor: await Executor.create({ dataDir: s.dataDir }),
    dataDir: s.dataDir,
    onRegistered: (id) => {
      ids.push(id);
      if (ids.length === 2) reregistered.resolve();
    },
  });
  try {
    await engine.start();
    await eng.start();
    const client = await s.client();
    await client.waitForEngines(2);
    await client.directView(1).execute("globalThis.mark = 'kept'");
    const ar = client.directView(1).apply(whenFile, "go-1", "waiting");
    await running(ar);
    s.links.at(-2)!.close(); // engine 1's link (the client's is the last)
    await reregistered.promise;
    assert.deepEqual(ids, [1, 1]);
    await Deno.writeTextFile(`${s.dataDir}/go-1`, "");
    assert.deepEqual(await ar.get(10_000), ["go-1"]);
    assert.deepEqual(await client.directView(1).execute("mark"), ["kept"]);
    assert.deepEqual(client.ids, [0, 1]);
  } finally {
    await eng.stop();
  }
});

Deno.test("an engine that stops on purpose is unregistered at once, its task failing", async () => {
  const logged: string[] = [];
  // liveness would take a minute: unregister must not wait
  await using s = await setup(60_000, (level, message) => logged.push(`${level} ${message}`));
  const engine = await s.engine();
  await engine.start();
  const client = await s.client();
  await client.waitForEngines(1);
  const gone = Promise.withResolvers<string>();
  client.onEngine((e) => e.type === "unregistered" && gone.resolve(e.reason));
  const ar = client.directView(0).apply(whenFile, "never", "waiting");
  await running(ar);
  await engine.stop("SIGTERM");
  assert.match(await gone.promise, /it stopped \(SIGTERM\)/);
  await rejects(ar, (e: unknown) => {
    assert(e instanceof EngineError);
    assert.match(e.evalue, /engine 0 died while running task .*: it stopped \(SIGTERM\)/);
    return true;
  });
  // a planned stop is news, not a warning (`ipx cluster stop` stops every engine this way)
  assert.ok(logged.includes("info engine 0 left: it stopped (SIGTERM)"), logged.join("\n"));
  assert.ok(!logged.some((l) => l.startsWith("warn engine 0")), logged.join("\n"));
});

Deno.test("an engine that cannot reach the controller retries until it can", async () => {
  await using s = await setup();
  s.refuseNext(3);
  const engine = await s.engine();
  assert.equal(await engine.start(), 0); // resolves once registered, after three refusals
  const client = await s.client();
  assert.deepEqual(await client.waitForEngines(1), [0]);
});

Deno.test("a client whose link drops reconnects; its results arrive and aborts still apply", async () => {
  await using s = await setup();
  const engine = await s.engine();
  await engine.start();
  const client = await s.client();
  await client.waitForEngines(1);
  const lv = client.loadBalancedView({ hwm: 1 });
  const slow = lv.apply(whenFile, "go-slow", "waiting");
  const queued = lv.apply(whenFile, "never-runs", "waiting");
  await running(slow);
  s.links.at(-1)!.close(); // the client's link
  queued.abort(); // while disconnected: sent again after the reconnect
  const during = lv.apply(() => "submitted while disconnected");
  await Deno.writeTextFile(`${s.dataDir}/go-slow`, "");
  assert.equal(await slow.get(10_000), "go-slow");
  await rejects(queued.get(10_000), TaskAborted);
  assert.equal(await during.get(10_000), "submitted while disconnected");
  assert.equal((await client.history()).length, 3);
});

Deno.test("a client whose link was down is told which engines left or registered meanwhile", async () => {
  await using s = await setup();
  const e0 = await s.engine();
  await e0.start();
  const e1 = await s.engine();
  await e1.start();
  const at = s.links.length;
  const client = await s.client();
  const link = s.links[at]!;
  const watcher = await s.client();
  await client.waitForEngines(2);
  await watcher.waitForEngines(2);
  const events: EngineEvent[] = [];
  const told = Promise.withResolvers<void>();
  client.onEngine((e) => {
    events.push(e);
    if (events.length === 2) told.resolve();
  });
  /** The next event the watcher (always connected) sees. */
  const watched = () => {
    const { promise, resolve } = Promise.withResolvers<EngineEvent>();
    const off = watcher.onEngine((e) => {
      off();
      resolve(e);
    });
    return promise;
  };
  s.holdClients(true);
  link.close(); // the client's link, kept down while engines come and go
  let next = watched();
  await e1.stop();
  assert.equal((await within(next, 20_000, "unregistered event")).type, "unregistered");
  next = watched();
  const e2 = await s.engine();
  await e2.start();
  assert.equal((await within(next, 20_000, "registered event")).type, "registered");
  assert.equal(events.length, 0);
  s.holdClients(false);
  await within(told.promise, 20_000, "engine events after the reconnect");
  assert.deepEqual(events.map((e) => e.type), ["unregistered", "registered"]);
  assert.deepEqual(events[0], { type: "unregistered", engineId: 1, reason: GONE_WHILE_DOWN });
  assert.equal(events[1]!.type === "registered" && events[1]!.engine.id, 2);
  assert.deepEqual(client.ids, [0, 2]);
});

Deno.test("a client that cannot get the controller back fails its tasks saying how to fetch them later", async () => {
  await using s = await setup();
  const engine = await s.engine();
  await engine.start();
  const client = await Client.connectWith({ connect: s.connect, key: s.key, reconnectForMs: 300 });
  try {
    await client.waitForEngines(1);
    const slow = client.loadBalancedView().apply(whenFile, "never", "waiting");
    await running(slow);
    s.refuseNext(1_000_000); // the controller is gone for good
    s.links.at(-1)!.close(); // the client's link
    await rejects(client.queueStatus(), /lost before it replied/); // the client knows it is down
    const never = client.loadBalancedView().apply(() => 1); // while the link is down
    await rejects(never, (e: unknown) => {
      assert(e instanceof RemoteError, String(e));
      assert.match(
        e.evalue,
        new RegExp(
          `could not reconnect within 300 ms.*\\. Task ${never.msgIds[0]} was never sent ` +
            `\\(the controller was already gone\\): start the controller again and submit it again$`,
        ),
      );
      return true;
    });
    await rejects(slow, (e: unknown) => {
      assert(e instanceof RemoteError, String(e));
      assert.equal(e.ename, "ConnectionError");
      assert.match(
        e.evalue,
        new RegExp(
          `^Lost the controller and could not reconnect within 300 ms.*\\. Task ${
            slow.msgIds[0]
          } ` +
            `may still finish on its engine: start the controller again .* getResult\\("${
              slow.msgIds[0]
            }"\\) from a new client$`,
        ),
      );
      return true;
    });
  } finally {
    s.refuseNext(0);
    await client.close();
  }
});
