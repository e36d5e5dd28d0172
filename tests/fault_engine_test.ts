/**
 * Engine faults with real processes: SIGKILL mid-task, SIGSTOP/SIGCONT, supervised restarts.
 */
import assert, { rejects } from "node:assert/strict";
import { EngineError } from "../mod.ts";
import { startProcessCluster, whenEngine, whenPrinted } from "./_helpers/process_cluster.ts";

/** Bound on waits that should end in well under a second (a failure, not a hang). */
const BOUND = 20_000;

/** Prints `started`, then waits forever. */
async function hang(): Promise<never> {
  console.log("started");
  for (;;) await new Promise((r) => setTimeout(r, 50));
}

Deno.test("SIGKILL of an engine mid-task: EngineError naming the signal at once, nothing else lost", async () => {
  // an engine that leaves without its supervisor's report has a minute to re-attach before its
  // task fails, so an EngineError within half of that came from the report
  const deadAfterMs = 60_000;
  await using cluster = await startProcessCluster({ engines: 2, deadAfterMs });
  const client = await cluster.connect();
  const lv = client.loadBalancedView();
  const victim = lv.apply(hang);
  const engineId = await whenPrinted(victim, "started");
  const survivor = engineId === 0 ? 1 : 0;
  // work on the other engine, queued and running, must not be lost
  const others = Array.from(
    { length: 6 },
    (_, i) => client.loadBalancedView({ targets: [survivor] }).apply((x: number) => x * 10, i),
  );
  const killedAt = Date.now();
  Deno.kill(cluster.pidOf(client, engineId), "SIGKILL");
  await rejects(victim.get(deadAfterMs / 2), (e: unknown) => {
    assert(e instanceof EngineError, String(e));
    assert.match(
      e.evalue,
      new RegExp(`engine ${engineId} died while running task .*killed by signal SIGKILL`),
    );
    assert.equal(e.engineId, engineId);
    return true;
  });
  const took = Date.now() - killedAt;
  assert(took < deadAfterMs / 2, `EngineError took ${took} ms`);
  assert.deepEqual(await Promise.all(others), [0, 10, 20, 30, 40, 50]);
  assert.deepEqual(client.ids, [survivor]);
  await cluster.engines.waitFor(
    new RegExp(`engine ${engineId} \\(pid \\d+\\) died: killed by signal SIGKILL`),
  );
});

Deno.test("SIGKILL mid-task with retries: the task runs again on another engine", async () => {
  await using cluster = await startProcessCluster({ engines: 2 });
  const client = await cluster.connect();
  const lv = client.loadBalancedView({ retries: 1 });
  // hangs on the first engine it reaches, succeeds on the next
  const ar = lv.apply(async () => {
    // deno-lint-ignore no-explicit-any
    const g = globalThis as any;
    try {
      Deno.statSync("first-attempt");
    } catch {
      Deno.writeTextFileSync("first-attempt", "");
      console.log("started");
      for (;;) await new Promise((r) => setTimeout(r, 50));
    }
    return g.done = "second attempt";
  });
  const engineId = await whenPrinted(ar, "started");
  Deno.kill(cluster.pidOf(client, engineId), "SIGKILL");
  assert.equal(await ar.get(BOUND), "second attempt");
  assert.notEqual(ar.engineIds[0], engineId);
});

Deno.test("SIGSTOP: the engine is declared dead; after SIGCONT it registers with a new id", async () => {
  await using cluster = await startProcessCluster({ engines: 2 });
  const client = await cluster.connect();
  const pid = cluster.pidOf(client, 1);
  const dead = whenEngine(
    client,
    (e) => e.type === "unregistered" && e.engineId === 1 ? e : undefined,
  );
  const ar = client.directView(1).apply(hang);
  await whenPrinted(ar, "started");
  Deno.kill(pid, "SIGSTOP");
  try {
    const gone = await dead;
    assert.match(gone.reason, /no heartbeat for more than 600 ms/);
    await rejects(ar.get(BOUND), EngineError);
    assert.deepEqual(client.ids, [0]);
    const back = whenEngine(client, (e) => e.type === "registered" ? e.engine : undefined);
    Deno.kill(pid, "SIGCONT");
    const engine = await back;
    assert.equal(engine.id, 2);
    assert.equal(engine.pid, pid);
  } finally {
    Deno.kill(pid, "SIGCONT");
  }
  assert.deepEqual(client.ids, [0, 2]);
  // it works under its new id, and it dropped the task it held
  assert.deepEqual(await client.directView(2).apply(() => "alive"), ["alive"]);
  const [rec] = await client.dbQuery({ msgId: ar.msgIds[0]! }, ["status", "ename"]);
  assert.deepEqual(rec, { msgId: ar.msgIds[0], status: "error", ename: "EngineError" });
});

Deno.test("engine --restart replaces a crashed engine with a new id and logs why it died", async () => {
  await using cluster = await startProcessCluster({ engines: 2, restart: true });
  const client = await cluster.connect();
  const replaced = whenEngine(client, (e) => e.type === "registered" ? e.engine : undefined);
  const ar = client.directView(0).apply(hang);
  await whenPrinted(ar, "started");
  const pid = cluster.pidOf(client, 0);
  Deno.kill(pid, "SIGABRT"); // as if it crashed in native code
  await rejects(ar.get(BOUND), (e: unknown) => {
    assert(e instanceof EngineError, String(e));
    assert.match(e.evalue, /killed by signal SIGABRT \(a crash in native code\)/);
    return true;
  });
  const fresh = await replaced;
  assert.equal(fresh.id, 2);
  assert.notEqual(fresh.pid, pid);
  await cluster.engines.waitFor(/engine 0 \(pid \d+\) died: killed by signal SIGABRT/);
  await cluster.engines.waitFor(/starting a replacement engine/);
  assert.deepEqual(client.ids, [1, 2]);
  assert.deepEqual(await client.directView().apply(() => 1), [1, 1]);
});

Deno.test("an engine that runs out of memory: EngineError says so, and --restart replaces it", async () => {
  await using cluster = await startProcessCluster({
    engines: 1,
    restart: true,
    engineArgs: ["--max-memory-mb", "128"],
  });
  const client = await cluster.connect();
  const replaced = whenEngine(client, (e) => e.type === "registered" ? e.engine : undefined);
  const hog = client.loadBalancedView().apply(() => {
    const keep: number[][] = [];
    for (;;) keep.push(new Array(100_000).fill(Math.random()));
  });
  await rejects(hog.get(BOUND), (e: unknown) => {
    assert(e instanceof EngineError, String(e));
    assert.match(e.evalue, /engine 0 died while running task .*: its process ended: out of memory/);
    return true;
  });
  assert.equal((await replaced).id, 1);
  assert.equal(await client.loadBalancedView().apply(() => "fine").get(BOUND), "fine");
});
