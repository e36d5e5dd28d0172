/**
 * Killing and restarting the controller with real processes: engines and a connected client
 * carry on, engines keep their ids and namespaces, history and results survive.
 */
import assert from "node:assert/strict";
import { Client } from "../mod.ts";
import { startProcessCluster, whenPrinted } from "./_helpers/process_cluster.ts";
import { whenFile } from "./_helpers/gates.ts";

const BOUND = 30_000;

Deno.test("controller SIGKILL + restart: cluster and client continue, history and results kept", async () => {
  await using cluster = await startProcessCluster({ engines: 2 });
  const client = await cluster.connect();
  const dv = client.directView();
  await dv.execute("globalThis.kept = 'namespace survives'");
  const lv = client.loadBalancedView();
  const old = lv.map((x: number) => x * 3, [1, 2, 3, 4]);
  assert.deepEqual(await old, [3, 6, 9, 12]);
  const running = lv.apply(whenFile, "released", "waiting");
  await whenPrinted(running, "waiting");
  const portBefore = cluster.port;

  const portAfter = await cluster.restartController("SIGKILL");
  assert.equal(portAfter, portBefore, "the restarted controller reuses the previous port");

  // engines re-attach with their ids; the client reconnects by itself
  const ids = await client.waitForEngines(2, { timeoutMs: BOUND });
  assert.deepEqual(ids, [0, 1]);
  // the task that was running when the controller died completes for its client
  await Deno.writeTextFile(`${cluster.dir}/profile_default/data/released`, "");
  assert.equal(await running.get(BOUND), "released");
  // address both engines explicitly: direct tasks to an engine that is still re-attaching wait
  // for it, whereas "all" means the engines registered at call time
  assert.deepEqual(await client.directView([0, 1]).execute("kept").get(BOUND), [
    "namespace survives",
    "namespace survives",
  ]);
  // history and results from before the restart, from this client and from a new one
  const second = await cluster.connect();
  for (const c of [client, second]) {
    assert.deepEqual(await c.getResult(old.msgIds).get(BOUND), [[3], [6], [9], [12]]);
    const history = await c.history();
    for (const id of [...old.msgIds, ...running.msgIds]) assert(history.includes(id), id);
  }
  // new work, and new engine ids continue after the old ones
  assert.deepEqual(await lv.map((x: number) => x + 1, [1, 2]).get(BOUND), [2, 3]);
  const records = await second.dbQuery({ msgId: { $in: old.msgIds } }, ["status", "engineId"]);
  assert.equal(records.length, 4);
  assert(records.every((r) => r.status === "ok"));
});

Deno.test("controller SIGTERM + restart: engines keep their ids, results stay fetchable", async () => {
  await using cluster = await startProcessCluster({ engines: 1 });
  const client = await cluster.connect();
  const done = await client.loadBalancedView().apply(() => "before").get(BOUND);
  assert.equal(done, "before");
  const ids = client.ids;
  // a clean stop (SIGTERM) then a restart: same ids, results still there
  await cluster.restartController("SIGTERM");
  assert.deepEqual(await client.waitForEngines(1, { timeoutMs: BOUND }), ids);
  const fresh = await Client.connect({ file: cluster.clientFile, timeoutMs: BOUND });
  try {
    const history = await fresh.history();
    assert.equal(history.length, 1);
    assert.deepEqual(await fresh.getResult(history[0]!).get(BOUND), ["before"]);
  } finally {
    await fresh.close();
  }
});

Deno.test("controller restarted with a new key: a client made from the profile's file follows the new key and carries on", async () => {
  await using cluster = await startProcessCluster({ engines: 1 });
  const client = await cluster.connect();
  const before = await client.loadBalancedView().apply(() => "before").get(BOUND);
  assert.equal(before, "before");
  const [task] = await client.history();
  // the controller reads its key at start only: without the file, the next one makes a new key
  await Deno.remove(`${cluster.dir}/profile_default/security/ipx-key`);
  await cluster.restartController("SIGKILL");
  // the engine is replaced (it follows the file too) and registers as a new one; the client
  // reconnects with the new key
  const fresh = await cluster.connect();
  const [id] = await fresh.waitForEngines(1, { timeoutMs: BOUND });
  assert.notEqual(id, 0);
  assert.deepEqual(await client.directView([id!]).apply(() => "after").get(BOUND), ["after"]);
  assert.deepEqual(await client.getResult(task!).get(BOUND), ["before"]);
  // engine 0 (of the old key) was not restored: nobody waits for it to re-attach
  assert.deepEqual(client.ids, [id]);
});

Deno.test("controller restarted with a new key: a client from a stale copy of the file gets an AuthenticationError at once, not after 30 s", async () => {
  await using cluster = await startProcessCluster({ engines: 1 });
  const stale = `${cluster.dir}/copied-client.json`;
  await Deno.copyFile(cluster.clientFile, stale);
  await Deno.chmod(stale, 0o600);
  const client = await Client.connect({ file: stale, timeoutMs: BOUND });
  try {
    const running = client.loadBalancedView().apply(whenFile, "released", "waiting");
    await whenPrinted(running, "waiting");
    await Deno.remove(`${cluster.dir}/profile_default/security/ipx-key`);
    const lostAt = performance.now();
    await cluster.restartController("SIGKILL");
    const [settled] = await running.settled();
    const waited = performance.now() - lostAt;
    assert(settled && !settled.ok, "the task cannot be followed through a refused link");
    assert.equal(settled.error.ename, "AuthenticationError", settled.error.evalue);
    assert.match(
      settled.error.evalue,
      /^Lost the controller; it is back but refuses this client: .*copied-client\.json.*Task \S+ may still finish on its engine: fetch it with getResult\("\S+"\) from a new client, made from the controller's current file$/,
    );
    // refusals count from the first one, so this is about the 2 s grace, far from the 30 s
    // reconnect bound (a generous margin for a loaded machine)
    assert(waited < 20_000, `gave up only after ${Math.round(waited)} ms`);
    await assert.rejects(
      async () => await client.directView().apply(() => 1),
      (e: Error) => e.name === "AuthenticationError" && /refuses this client/.test(e.message),
    );
  } finally {
    await client.close();
  }
});

Deno.test("shutdown({ controller: true }): every client stops reconnecting and says the controller shut down", async () => {
  await using cluster = await startProcessCluster({ engines: 1 });
  const a = await cluster.connect();
  const b = await cluster.connect();
  const asked = performance.now();
  await a.shutdown({ controller: true });
  await cluster.controller.child.status;
  for (const c of [a, b]) {
    await assert.rejects(
      async () => await c.directView().apply(() => 1),
      (e: Error) =>
        e.name === "ConnectionError" &&
        /^The controller shut down: a client asked it to \(shutdown\(\{ controller: true \}\)\); start it again/
          .test(e.message),
    );
  }
  // far from the 30 s a client would otherwise spend reconnecting (margin for a loaded machine)
  const waited = performance.now() - asked;
  assert(waited < 15_000, `took ${Math.round(waited)} ms`);
});
