import assert from "node:assert/strict";
import { Client, EngineError } from "../mod.ts";
import { allocatorEnv } from "../lib/engine/allocator_env.ts";
import { hostname } from "node:os";
import { IpxProcess, processesMatching, runIpx, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { withZombie } from "./_helpers/zombie.ts";
import { within } from "./_helpers/within.ts";
import { whenPrinted } from "./_helpers/process_cluster.ts";

/**
 * Runs `fn` with a one-engine daemon cluster started with `flags` and a client of it; stops the
 * cluster after and checks that no process of it is left.
 */
async function withDaemonCluster(
  flags: string[],
  fn: (c: { dir: string; profile: string; file: string; client: Client }) => Promise<void>,
  inDir?: { path: string },
): Promise<void> {
  await using own = inDir ? undefined : await tempIpxDir();
  const dir = inDir ?? own!;
  const started = await runIpx(dir.path, "cluster", "start", "--n", "1", "--daemon", ...flags);
  const profile = `${dir.path}/profile_default`;
  try {
    assert.equal(started.code, 0, started.stdout + started.stderr);
    assert.match(started.stdout, /cluster started in the background: pid \d+, 1 engine \(ids 0\)/);
    const file = `${profile}/security/ipx-client.json`;
    await using client = await Client.connect({ file });
    await fn({ dir: dir.path, profile, file, client });
  } finally {
    const stopped = await runIpx(dir.path, "cluster", "stop");
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(
      stopped.stdout,
      /stopped \(pid \d+(?: and 1 engine|; its 1 engine had already exited)\)\n/,
    );
  }
  assert.deepEqual(await processesMatching(dir.path), []);
}

Deno.test("ipx cluster start --daemon, list and stop leave no process behind", async () => {
  await using dir = await tempIpxDir();
  const started = await runIpx(dir.path, "cluster", "start", "--n", "2", "--daemon");
  try {
    assert.equal(started.code, 0, started.stdout + started.stderr);
    assert.match(
      started.stdout,
      /cluster started in the background: pid \d+, 2 engines \(ids 0,1\)/,
    );
    const list = await runIpx(dir.path, "cluster", "list", "--json");
    const rows = JSON.parse(list.stdout) as {
      profile: string;
      running: boolean;
      pid: number;
      enginePids: number[];
    }[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.running, true);
    assert.equal(rows[0]!.enginePids.length, 2);
    // engine processes run with ipx's allocator default (or exactly the user's own setting);
    // glibc 2.36 splits the variable at ':' in place while parsing it, so /proc may show the
    // first tunable only (the process itself and its children still get all of them)
    const expected = allocatorEnv(Deno.env.toObject()).GLIBC_TUNABLES;
    for (const pid of rows[0]!.enginePids) {
      const environ = (await Deno.readTextFile(`/proc/${pid}/environ`)).split("\0");
      const seen = environ.find((v) => v.startsWith("GLIBC_TUNABLES="))?.slice(15);
      const accepted = expected === undefined ? [undefined] : [expected, expected.split(":")[0]];
      assert.ok(accepted.includes(seen), `engine pid ${pid} has GLIBC_TUNABLES=${seen}`);
    }
    // no process of the cluster looks up dl.deno.land for a Deno update
    for (const pid of [rows[0]!.pid, ...rows[0]!.enginePids]) {
      const environ = (await Deno.readTextFile(`/proc/${pid}/environ`)).split("\0");
      assert.ok(environ.includes("DENO_NO_UPDATE_CHECK=1"), `pid ${pid} checks for updates`);
    }
    // the cluster is usable: TLS by default, pinned CA from the client file
    await using client = await Client.connect({
      file: `${dir.path}/profile_default/security/ipx-client.json`,
    });
    assert.equal(client.connectionInfo.transport, "tls");
    assert.deepEqual(client.ids, [0, 1]);
    // engines on this machine came in through the local socket
    assert.match(client.connectionInfo.ipcPath ?? "", /\/security\/ipx-[0-9a-f]{16}\.sock$/);
    const log = await Deno.readTextFile(`${dir.path}/profile_default/log/cluster.log`);
    assert.match(log, /engine 0 registered \(pid \d+ on .*, from the local socket\)/);
    assert.deepEqual(await client.directView().apply(() => 1), [1, 1]);
    const again = await runIpx(dir.path, "cluster", "start", "--n", "1");
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already running/);
    assert.ok((await processesMatching(dir.path)).length >= 2, "engines are in the process table");
  } finally {
    const stopped = await runIpx(dir.path, "cluster", "stop");
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /stopped \(pid \d+ and 2 engines\)\n/);
  }
  assert.deepEqual(await processesMatching(dir.path), [], "no process of the cluster is left");
  // one line per registration, and a clean stop is no cause for warnings
  const log = await Deno.readTextFile(`${dir.path}/profile_default/log/cluster.log`);
  for (const id of [0, 1]) {
    assert.equal(log.match(new RegExp(`engine ${id} registered`, "g"))?.length, 1, log);
    assert.match(log, new RegExp(`INFO +engine ${id} left: it stopped \\(SIGTERM\\)`));
  }
  assert.doesNotMatch(log, /WARN/, log);
  const none = await runIpx(dir.path, "cluster", "stop");
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /no cluster is running/);
});

Deno.test("ipx cluster says 1 engine, and stop counts only the engines it stopped", async () => {
  await using dir = await tempIpxDir();
  await using cluster = new IpxProcess(dir.path, "cluster", "start", "--n", "1");
  const ready = await cluster.waitFor(/cluster ready: /);
  assert.match(ready.input!, /cluster ready: 1 engine \(ids 0\) on /);
  const [row] = JSON.parse((await runIpx(dir.path, "cluster", "list", "--json")).stdout) as {
    enginePids: number[];
  }[];
  await using client = await Client.connect({
    file: `${dir.path}/profile_default/security/ipx-client.json`,
  });
  const left = Promise.withResolvers<void>();
  client.onEngine((e) => e.type === "unregistered" && left.resolve());
  Deno.kill(row!.enginePids[0]!, "SIGKILL");
  await left.promise; // its connection closed: the process has ended
  const stopped = await runIpx(dir.path, "cluster", "stop");
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, /stopped \(pid \d+; its 1 engine had already exited\)\n/);
  assert.equal((await cluster.stop()).code, 0, cluster.output);
  assert.deepEqual(await processesMatching(dir.path), []);
});

Deno.test("a local cluster reports an engine's death to its controller in-process: the EngineError names the signal, and the cluster holds no client connection of its own; list --json pairs ids with pids", async () => {
  await using dir = await tempIpxDir();
  // an engine that leaves without a report has a minute to re-attach before its task fails, so
  // an EngineError within half of that came from the supervisor's report
  const deadAfterMs = 60_000;
  await using cluster = new IpxProcess(
    dir.path,
    "cluster",
    "start",
    "--n",
    "3",
    "--dead-after-ms",
    String(deadAfterMs),
  );
  await cluster.waitFor(/cluster ready: 3 engines/);
  await using client = await Client.connect({
    file: `${dir.path}/profile_default/security/ipx-client.json`,
  });
  // the first client to connect is client 1: the cluster made no connection to itself
  await cluster.waitFor(/INFO +client 1 connected from the local socket/);
  assert.doesNotMatch(cluster.output, /client 2 connected/, cluster.output);
  await client.waitForEngines(3);
  const pidOf = (id: number) => client.engines.find((e) => e.id === id)!.pid;
  // engines register in any order; the list pairs each id with its own process
  const [row] = JSON.parse((await runIpx(dir.path, "cluster", "list", "--json")).stdout) as {
    engineIds: number[];
    enginePids: number[];
  }[];
  assert.deepEqual(row!.engineIds, [0, 1, 2]);
  assert.deepEqual(row!.enginePids, row!.engineIds.map(pidOf));
  const pid = pidOf(0);
  const victim = client.directView([0]).apply(async () => {
    console.log("started");
    for (;;) await new Promise((r) => setTimeout(r, 50));
  });
  await whenPrinted(victim, "started");
  const killedAt = Date.now();
  Deno.kill(pid, "SIGKILL");
  await assert.rejects(victim, (e: unknown) => {
    assert(e instanceof EngineError, String(e));
    assert.match(e.evalue, /engine 0 died while running task .*killed by signal SIGKILL/);
    return true;
  });
  const took = Date.now() - killedAt;
  assert(took < deadAfterMs / 2, `EngineError took ${took} ms`);
  assert.deepEqual(await client.directView([1, 2]).apply(() => 1), [1, 1]);
});

Deno.test("ipx cluster start --no-ipc: engines and clients use TCP/TLS, no socket file", async () => {
  await withDaemonCluster(["--no-ipc"], async ({ profile, client }) => {
    assert.equal(client.connectionInfo.ipcPath, undefined);
    const security = `${profile}/security`;
    assert.deepEqual([...Deno.readDirSync(security)].filter((e) => e.name.endsWith(".sock")), []);
    assert.deepEqual(await client.directView().apply(() => 2), [2]);
    const log = await Deno.readTextFile(`${profile}/log/cluster.log`);
    assert.match(log, /engine 0 registered \(pid \d+ on .*, from 127\.0\.0\.1:\d+\)/);
  });
});

Deno.test("ipx cluster start --no-db keeps history in memory: nothing on disk, results still served", async () => {
  await withDaemonCluster(["--no-db"], async ({ profile, file, client }) => {
    const big = client.directView().apply(() => new Uint8Array(2 * 1024 * 1024).fill(9));
    const [value] = await big;
    assert.equal((value as Uint8Array).length, 2 * 1024 * 1024);
    // a second client fetches the big result by id from the controller's memory
    await using other = await Client.connect({ file });
    const [again] = await other.getResult(big.msgIds[0]!);
    assert.equal((again as Uint8Array)[0], 9);
    const onDisk = [...Deno.readDirSync(profile)].map((e) => e.name);
    assert.deepEqual(onDisk.filter((n) => n.startsWith("ipx.sqlite")), []);
  });
});

Deno.test("ipx cluster start --hwm sets the default mark of load-balanced tasks", async () => {
  await using dir = await tempIpxDir();
  const bad = await runIpx(dir.path, "cluster", "start", "--n", "1", "--hwm", "lots");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--hwm must be "auto" or an integer of at least 0, got "lots"/);
  await withDaemonCluster(["--hwm", "3"], async ({ profile, client }) => {
    const lv = client.loadBalancedView(); // no hwm of its own: the cluster's
    const waiting = lv.map(async (x: number) => {
      for (;;) {
        try {
          Deno.statSync("go");
          return x;
        } catch {
          await new Promise((r) => setTimeout(r, 5));
        }
      }
    }, [1, 2, 3, 4, 5]);
    await client.queueStatus(); // shares the frame of the submissions: answered before placing
    const status = await client.queueStatus();
    assert.equal(status[0]!.tasks, 3);
    assert.equal(status.unassigned, 2);
    await Deno.writeTextFile(`${profile}/data/go`, "");
    assert.deepEqual(await waiting, [1, 2, 3, 4, 5]);
  });
});

Deno.test("ipx cluster list counts the engines registered now against those asked for", async () => {
  await withDaemonCluster([], async ({ dir, client }) => {
    const rows = JSON.parse((await runIpx(dir, "cluster", "list", "--json")).stdout) as {
      running: boolean;
      n: number;
      engines: number | null;
    }[];
    assert.deepEqual(rows.map((r) => [r.running, r.n, r.engines]), [[true, 1, 1]]);
    const left = Promise.withResolvers<void>();
    client.onEngine((e) => e.type === "unregistered" && left.resolve());
    await client.shutdown({ targets: [0] });
    await left.promise;
    const table = await runIpx(dir, "cluster", "list");
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^PROFILE +RUNNING +PID +ENGINES +ADDRESS\n/);
    assert.match(table.stdout, /\ndefault +yes +\d+ +0\/1 +\S+:\d+/);
  });
});

Deno.test("ipx cluster start --heartbeat-ms / --dead-after-ms set the controller's liveness", async () => {
  await using dir = await tempIpxDir();
  for (const [flag, value] of [["--dead-after-ms", "0"], ["--heartbeat-ms", "soon"]]) {
    const bad = await runIpx(dir.path, "cluster", "start", "--n", "1", flag!, value!);
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.match(
      bad.stderr,
      new RegExp(`${flag} must be an integer of at least 1, got "${value}"`),
    );
  }
  // passed on to the background process too
  await withDaemonCluster(
    ["--heartbeat-ms", "200", "--dead-after-ms", "2500"],
    async ({ profile, client }) => {
      const record = JSON.parse(
        await Deno.readTextFile(`${profile}/security/ipx-cluster.json`),
      ) as { enginePids: number[] };
      const pid = record.enginePids[0]!;
      const dead = Promise.withResolvers<string>();
      client.onEngine((e) =>
        e.type === "unregistered" && e.engineId === 0 && dead.resolve(e.reason)
      );
      const back = Promise.withResolvers<void>();
      client.onEngine((e) => e.type === "registered" && back.resolve());
      Deno.kill(pid, "SIGSTOP"); // silent from now on: declared dead after --dead-after-ms
      try {
        assert.match(await dead.promise, /no heartbeat for more than 2500 ms/);
      } finally {
        Deno.kill(pid, "SIGCONT");
      }
      await back.promise; // it registers again (with a new id), so the cluster stops cleanly
    },
  );
});

Deno.test("ipx cluster start --data-dir, --allow-read and --max-memory-mb reach the engines, also as a daemon", async () => {
  await using dir = await tempIpxDir();
  const data = `${dir.path}/project-data`;
  const extra = `${dir.path}/reference`;
  await Deno.mkdir(data);
  await Deno.mkdir(extra);
  await Deno.writeTextFile(`${data}/sample.csv`, "a,b\n1,2\n");
  await Deno.writeTextFile(`${extra}/notes.txt`, "read-only notes");
  await withDaemonCluster(
    ["--data-dir", data, "--allow-read", extra, "--max-memory-mb", "300"],
    async ({ dir: ipxDir, client }) => {
      const view = client.directView();
      // the data dir is the engines' cwd, read and write; the extra path is read only
      assert.deepEqual(await view.execute("Deno.readTextFileSync('sample.csv')"), ["a,b\n1,2\n"]);
      assert.deepEqual(
        await view.execute(`Deno.readTextFileSync(${JSON.stringify(`${extra}/notes.txt`)})`),
        ["read-only notes"],
      );
      await assert.rejects(
        view.execute(`Deno.writeTextFileSync(${JSON.stringify(`${extra}/x`)}, "no")`),
        /NotCapable/,
      );
      await view.execute("Deno.writeTextFileSync('out.txt', 'written by engine')");
      assert.equal(await Deno.readTextFile(`${data}/out.txt`), "written by engine");
      // the heap limit is on every engine process
      const rec = JSON.parse(
        await Deno.readTextFile(`${ipxDir}/profile_default/security/ipx-cluster.json`),
      ) as { enginePids: number[]; dataDir: string };
      assert.equal(rec.dataDir, data);
      for (const pid of rec.enginePids) {
        const cmdline = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0").join(" ");
        assert.match(cmdline, /--max-old-space-size=300\b/, cmdline);
      }
    },
    dir,
  );
});

Deno.test("ipx cluster start refuses bad sandbox options in one line, exit 2, before anything starts", async () => {
  await using dir = await tempIpxDir();
  const security = `${dir.path}/profile_default/security`;
  for (
    const [args, message] of [
      [["--max-memory-mb", "8"], /^ipx: --max-memory-mb must be an integer of at least 16, got 8$/],
      [
        ["--data-dir", dir.path],
        /^ipx: Cannot start engines: user code could reach the connection file .*ipx-engine\.json \(and its key\) through the data dir/,
      ],
      [["--allow-read", security], /^ipx: Cannot start engines: .* through the --allow-read path/],
    ] as const
  ) {
    for (const daemon of [[], ["--daemon"]]) {
      const run = await runIpx(dir.path, "cluster", "start", "--n", "1", ...daemon, ...args);
      assert.equal(run.code, 2, `${args.join(" ")} ${daemon}: ${run.stdout}${run.stderr}`);
      assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
      assert.match(run.stderr.trimEnd(), message);
      assert.equal(run.stdout, "");
    }
  }
  assert.deepEqual(await processesMatching(dir.path), []);
});

Deno.test("ipx cluster start refuses a profile a standalone controller runs on with exit 10, making no data dir", async () => {
  await using dir = await tempIpxDir();
  await using controller = new IpxProcess(dir.path, "controller");
  await controller.waitFor(/ipx controller ready on/);
  for (const daemon of [[], ["--daemon"]]) {
    const data = `${dir.path}/new-data${daemon.length ? "-daemon" : ""}`;
    const args = ["cluster", "start", "--n", "1", ...daemon, "--data-dir", data];
    const run = await runIpx(dir.path, ...args);
    assert.equal(run.code, 10, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
    assert.equal(run.stdout, "");
    assert.equal(run.stderr.trimEnd().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /^ipx cluster start: .*ipx controller.*already running/i);
    assert.equal(
      await Deno.stat(data).then(() => "made", () => "not made"),
      "not made",
      `${args.join(" ")}: the data dir`,
    );
  }
  await controller.stop();
  assert.deepEqual(await processesMatching(dir.path), []);
});

Deno.test({
  name: "ipx cluster list/stop and ipx controller count a zombie controller pid as not running",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using dir = await tempIpxDir();
    const created = await runIpx(dir.path, "profile", "create", "default");
    assert.equal(created.code, 0, created.stderr);
    const profile = `${dir.path}/profile_default`;
    await withZombie(async (pid) => {
      // a cluster whose process ended but was never reaped (its parent does not wait)
      await Deno.writeTextFile(
        `${profile}/security/ipx-cluster.json`,
        JSON.stringify({
          profile: "default",
          pid,
          n: 1,
          state: "ready",
          engineIds: [0],
          enginePids: [],
          address: "127.0.0.1:1",
          startedAt: new Date().toISOString(),
        }),
      );
      const list = await runIpx(dir.path, "cluster", "list", "--json");
      assert.equal(list.code, 0, list.stderr);
      const rows = JSON.parse(list.stdout) as { pid: number; running: boolean }[];
      assert.deepEqual(rows.map((r) => [r.pid, r.running]), [[pid, false]]);
      const stopped = await runIpx(dir.path, "cluster", "stop");
      assert.equal(stopped.code, 11, stopped.stdout + stopped.stderr);
      assert.match(stopped.stderr, /no cluster is running for profile "default"/);
      // a controller's lock held by the zombie is stale: a new controller takes it
      await Deno.writeTextFile(
        `${profile}/ipx-controller.pid`,
        JSON.stringify({ pid, hostname: hostname() }),
      );
      await using controller = new IpxProcess(dir.path, "controller");
      await controller.waitFor(/ipx controller ready on/);
      assert.equal((await controller.stop()).code, 0, controller.output);
    });
    assert.deepEqual(await processesMatching(dir.path), []);
  },
});

/** `promise`, or a rejection naming `what` after `ms` (a bound, so a regression fails, not hangs). */

Deno.test("ipx cluster --restart: list shows the replacement engine's id and pid, stop counts it", async () => {
  await using dir = await tempIpxDir();
  await using cluster = new IpxProcess(dir.path, "cluster", "start", "--n", "1", "--restart");
  await cluster.waitFor(/cluster ready: 1 engine \(ids 0\)/);
  const listed = async () =>
    JSON.parse((await runIpx(dir.path, "cluster", "list", "--json")).stdout) as {
      engineIds: number[];
      enginePids: number[];
      engines: number | null;
    }[];
  const [before] = await listed();
  assert.deepEqual(before!.engineIds, [0]);
  const first = before!.enginePids[0]!;
  Deno.kill(first, "SIGKILL");
  const m = await within(
    cluster.waitFor(/cluster engines now: ids 1, pids (\d+) /),
    60_000,
    `record of the replacement engine:\n${cluster.output}`,
  );
  const replacement = Number(m[1]);
  assert.notEqual(replacement, first);
  const [after] = await listed();
  assert.deepEqual([after!.engineIds, after!.enginePids, after!.engines], [[1], [replacement], 1]);
  const stopped = await runIpx(dir.path, "cluster", "stop");
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, /stopped \(pid \d+ and 1 engine\)\n/);
  assert.equal((await cluster.stop()).code, 0, cluster.output);
  assert.deepEqual(await processesMatching(dir.path), []);
});
