import assert, { rejects } from "node:assert/strict";
import {
  Client,
  ConnectionError,
  ConnectionFileError,
  RemoteError,
  RemoteRepr,
  TimeoutError,
} from "../mod.ts";
import { runController, type RunningController } from "../lib/controller/run_controller.ts";
import { readConnectionFile, writeConnectionFile } from "../lib/protocol/connection_file.ts";
import { startMemoryCluster } from "./_helpers/memory_cluster.ts";
import { createProfile } from "../lib/profile/mod.ts";

Deno.test("client.ids is a copy and directView('all') includes engines added later", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const ids = c.client.ids;
  ids.push(99);
  assert.deepEqual(c.client.ids, [0]);
  const all = c.client.directView();
  const fixed = c.client.directView([0]);
  const added = Promise.withResolvers<void>();
  c.client.onEngine((e) => e.type === "registered" && added.resolve());
  await c.addEngine();
  await added.promise;
  assert.deepEqual(await all.apply(() => 1), [1, 1]);
  assert.deepEqual(await fixed.apply(() => 1), [1]);
  assert.deepEqual(await c.client.waitForEngines(2, { timeoutMs: 1000 }), [0, 1]);
  await rejects(c.client.waitForEngines(5, { timeoutMs: 50 }), (error: Error) => {
    assert.ok(error instanceof TimeoutError);
    assert.match(error.message, /Only 2 of 5 engines registered within 50 ms/);
    assert.match(error.message, /are the 3 missing engines running \(`ipx engine --n 3`/);
    return true;
  });
});

Deno.test("AsyncResult exposes msgIds, engineIds, metadata, elapsedMs and wait()", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const dv = c.client.directView();
  const ar = dv.execute(
    "for (;;) { try { Deno.statSync('go'); break; } catch { await new Promise((r) => setTimeout(r, 5)); } } 3",
  );
  assert.equal(ar.msgIds.length, 2);
  assert.equal(new Set(ar.msgIds).size, 2);
  assert.deepEqual(ar.engineIds, [0, 1]);
  assert.equal(ar.ready(), false);
  assert.equal(await ar.wait(20), false);
  await Deno.writeTextFile(`${c.dataDir}/go`, "");
  assert.equal(await ar.wait(), true);
  assert.deepEqual(await ar, [3, 3]);
  for (const m of ar.metadata) {
    assert.equal(m.status, "ok");
    assert.ok(m.started! >= m.submitted - 5, "started after submitted");
    assert.ok(m.completed! >= m.started!);
    assert.equal(m.executionCount, 1);
  }
  assert.ok(ar.elapsedMs >= 0);
  const before = ar.elapsedMs;
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(ar.elapsedMs, before, "elapsedMs is frozen once complete");
  await rejects(
    dv.execute("1").get(0).then(() => dv.execute("while (true) {}").get(50)),
    TimeoutError,
  );
  await Promise.all([dv.execute("1")].map((x) => x)); // engines still queue behind the loop
});

Deno.test("a result that cannot travel fails with SerializationError naming the type and engine", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  // execute's last value comes back as its text: the code ran
  const [shown] = await c.client.directView().execute("class Foo { a = 1 }; new Foo()");
  assert.ok(shown instanceof RemoteRepr);
  assert.deepEqual([shown.type, shown.text], ["Foo", "Foo { a: 1 }"]);
  await rejects(c.client.directView().apply(() => new (class Foo {})()), (e: unknown) => {
    assert.ok(e instanceof RemoteError);
    assert.equal(e.ename, "SerializationError");
    assert.match(e.evalue, /Foo instance/);
    assert.match(e.evalue, /engine 0/);
    return true;
  });
  await rejects(c.client.directView().apply(() => () => 1), /function/);
});

Deno.test("queueStatus() reports per-engine counts and unassigned", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  await c.client.directView().apply(() => 1);
  await c.client.directView(0).apply(() => 1);
  const qs = await c.client.queueStatus();
  assert.deepEqual(Object.keys(qs.engines).map(Number).sort(), [0, 1]);
  assert.equal(qs.engines[0]!.completed, 2);
  assert.equal(qs.engines[1]!.completed, 1);
  assert.equal(qs.engines[0]!.queue, 0);
  assert.equal(qs.unassigned, 0);
});

Deno.test("shutdown({ targets }) stops those engines; they leave ids", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const gone = Promise.withResolvers<number>();
  c.client.onEngine((e) => e.type === "unregistered" && gone.resolve(e.engineId));
  await c.client.shutdown({ targets: [1] });
  assert.equal(await gone.promise, 1);
  await c.engines[1]!.done;
  assert.deepEqual(c.client.ids, [0]);
  assert.deepEqual(await c.client.directView().apply(() => 7), [7]);
  // a task sent to a dead engine fails at once, naming it
  await rejects(c.client.directView(1).apply(() => 1), /engine 1 is not registered/);
  // an engine that is not there: refused, and nothing is stopped
  await rejects(
    c.client.shutdown({ targets: [0, 42] }),
    /Cannot shut down engine\(s\) 42: no such engine is registered \(engines: 0\); nothing was stopped/,
  );
  assert.deepEqual(await c.client.directView(0).apply(() => 8), [8]);
});

Deno.test("Client.connect waits its whole timeoutMs for a controller that is still starting", async () => {
  const base = await Deno.makeTempDir({ prefix: "ipx-late-" });
  const before = Deno.env.get("IPX_DIR");
  Deno.env.set("IPX_DIR", base); // Client.connect finds profiles there
  let controller: RunningController | undefined;
  try {
    const waiting = Promise.withResolvers<string>();
    let settled = false;
    const connecting = Client.connect({
      profile: "late",
      timeoutMs: 30_000,
      onWaiting: (problem) => waiting.resolve(problem),
    }).finally(() => settled = true);
    assert.match(await waiting.promise, /ipx-client\.json/);
    // longer than the 2 s it used to wait whatever timeoutMs said
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(settled, false, "gave up before its timeoutMs");
    controller = await runController({
      profile: "late",
      base,
      port: 0,
      noTls: true,
      log: () => {},
    });
    await using client = await connecting;
    assert.deepEqual(client.ids, []);
    // engines are told of by the file they use
    await rejects(
      client.waitForEngines(1, { timeoutMs: 50 }),
      /is the missing engine running \(`ipx engine --n 1 --file \S+\/profile_late\/security\/ipx-engine\.json`\)\? /,
    );
  } finally {
    await controller?.stop();
    if (before === undefined) Deno.env.delete("IPX_DIR");
    else Deno.env.set("IPX_DIR", before);
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("no controller: Client.connect fails with a ConnectionFileError, which is a ConnectionError", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ipx-nofile-" });
  try {
    await rejects(Client.connect({ file: `${dir}/ipx-client.json` }), (e: unknown) => {
      assert(e instanceof ConnectionFileError, String(e));
      assert(e instanceof ConnectionError, "catchable as a ConnectionError");
      assert.equal(e.problem, "missing");
      assert.match(e.message, /does not exist\. Is a controller running for this profile\?/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Client.connect's timeoutMs bounds the whole first connect, file wait included", async () => {
  const base = await Deno.makeTempDir({ prefix: "ipx-bound-" });
  const before = Deno.env.get("IPX_DIR");
  Deno.env.set("IPX_DIR", base);
  // accepts and never answers: the handshake can only time out
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of silent) held.push(c);
  })();
  let controller: RunningController | undefined;
  try {
    controller = await runController({
      profile: "real",
      base,
      port: 0,
      noTls: true,
      noIpc: true,
      log: () => {},
    });
    const info = await readConnectionFile(controller.clientFile);
    const file = `${base}/profile_hang/security/ipx-client.json`;
    const connecting = Client.connect({
      profile: "hang",
      timeoutMs: 3000,
      onWaiting: () => {
        // the file appears a while after waiting began: that time counts against the bound
        setTimeout(async () => {
          await Deno.mkdir(`${base}/profile_hang/security`, { recursive: true, mode: 0o700 });
          await writeConnectionFile(file, {
            ...info,
            port: (silent.addr as Deno.NetAddr).port,
          });
        }, 500);
      },
    });
    await rejects(connecting, (e: unknown) => {
      assert(e instanceof TimeoutError, String(e));
      const ms = Number(/did not complete within (\d+) ms/.exec(e.message)?.[1]);
      assert(
        ms > 0 && ms <= 2500,
        `the handshake got ${ms} ms of 3000 after waiting: ${e.message}`,
      );
      return true;
    });
  } finally {
    await controller?.stop();
    silent.close();
    for (const c of held) c.close();
    await accepting.catch(() => {});
    if (before === undefined) Deno.env.delete("IPX_DIR");
    else Deno.env.set("IPX_DIR", before);
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("Client.connect names a profile with no controller, and one that does not exist", async () => {
  const base = await Deno.makeTempDir({ prefix: "ipx-noprofile-" });
  const before = Deno.env.get("IPX_DIR");
  Deno.env.set("IPX_DIR", base);
  try {
    await createProfile("default", base);
    await rejects(Client.connect({ profile: "defualt", timeoutMs: 200 }), (e: Error) => {
      assert.ok(e instanceof ConnectionFileError && e.problem === "timeout", String(e));
      assert.equal(
        e.message,
        `There is no profile "defualt" in ${base} (profiles there: default), and no controller ` +
          "created it within 0.2 s. Check the name and IPX_DIR, or start a controller for it " +
          "with `ipx controller --profile defualt` or `ipx cluster start --profile defualt`",
      );
      return true;
    });
    await rejects(Client.connect({ timeoutMs: 200 }), (e: Error) => {
      assert.ok(e instanceof ConnectionFileError && e.problem === "timeout", String(e));
      assert.match(
        e.message,
        /^No controller is running for profile "default": its connection file \S+\/profile_default\/security\/ipx-client\.json did not appear within 0\.2 s\. Start one with `ipx controller --profile default` or `ipx cluster start --profile default`/,
      );
      return true;
    });
  } finally {
    if (before === undefined) Deno.env.delete("IPX_DIR");
    else Deno.env.set("IPX_DIR", before);
    await Deno.remove(base, { recursive: true });
  }
});
