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
