import assert, { rejects } from "node:assert/strict";
import { AuthenticationError, Client } from "../mod.ts";
import { readConnectionFile, writeConnectionFile } from "../lib/protocol/connection_file.ts";
import { generateKey } from "../lib/protocol/auth.ts";
import { IpxProcess, processesMatching, runIpx, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { assertDeadPortRefused } from "./_helpers/dead_port.ts";

const READY = /ipx controller ready on (\S+):(\d+) \((tls|tcp)\)/;

Deno.test("ipx controller writes 0600 connection files, refuses a second controller, cleans up", async () => {
  await using dir = await tempIpxDir();
  const sec = `${dir.path}/profile_default/security`;
  await using controller = new IpxProcess(dir.path, "controller");
  const m = await controller.waitFor(READY);
  for (const f of ["ipx-client.json", "ipx-engine.json"]) {
    const st = await Deno.stat(`${sec}/${f}`);
    assert.equal(st.mode! & 0o777, 0o600, f);
    const info = await readConnectionFile(`${sec}/${f}`);
    assert.equal(info.port, Number(m[2]));
    assert.equal(info.transport, "tls");
    assert.ok(info.tlsCaPem?.includes("BEGIN CERTIFICATE"));
    assert.equal(info.ipxVersion, "0.1.0");
  }
  const second = await runIpx(dir.path, "controller");
  assert.notEqual(second.code, 0);
  assert.match(second.stderr, /already running/i);
  assert.match(second.stderr, new RegExp(String(controller.child.pid)));
  // a background cluster on the same profile says the same, at once, instead of "did not
  // become ready" pointing at an empty log
  const daemon = await runIpx(dir.path, "cluster", "start", "--n", "1", "--daemon");
  assert.equal(daemon.code, 10, daemon.stderr);
  assert.match(
    daemon.stderr,
    new RegExp(
      `^ipx cluster start: Cannot start: ipx controller is already running as pid ` +
        `${controller.child.pid} `,
    ),
  );
  // in the foreground too: exit 10, as for a running cluster
  const fg = await runIpx(dir.path, "cluster", "start", "--n", "1");
  assert.equal(fg.code, 10, fg.stderr);
  assert.match(fg.stderr, /^ipx cluster start: Cannot start: ipx controller is already running/m);
  const status = await controller.stop("SIGTERM");
  assert.equal(status.code, 0);
  await rejects(Deno.stat(`${sec}/ipx-client.json`), Deno.errors.NotFound);
  await rejects(Deno.stat(`${sec}/ipx-engine.json`), Deno.errors.NotFound);
});

Deno.test("ipx controller on loopback says other machines cannot reach it; --location is written into the files", async () => {
  await using dir = await tempIpxDir();
  const sec = `${dir.path}/profile_default/security`;
  {
    await using controller = new IpxProcess(dir.path, "controller", "--no-db");
    const [line] = await controller.waitFor(/ipx controller ready on .*/);
    assert.match(
      line,
      /^ipx controller ready on 127\.0\.0\.1:\d+ \(tls\), reachable from this machine only \(it listens on loopback\); to start engines on other machines, restart it with --ip 0\.0\.0\.0 --location HOST/,
    );
    assert.doesNotMatch(line, /to other machines to start engines there/);
    assert.equal((await controller.stop("SIGTERM")).code, 0);
  }
  // the forgotten --ip: the files say what was asked, and the controller says why it cannot work
  await using controller = new IpxProcess(
    dir.path,
    "controller",
    "--no-db",
    "--location",
    "10.77.0.1",
  );
  const [line] = await controller.waitFor(/ipx controller ready on .*/);
  assert.match(
    line,
    /^ipx controller ready on 127\.0\.0\.1:(\d+) \(tls\); WARNING: it listens on loopback only, so other machines cannot reach it at 10\.77\.0\.1:\1, the address its files name \(--location\), unless something you set up forwards that address here \(a tunnel or proxy\); to let them connect directly, restart it with --ip 0\.0\.0\.0 --location 10\.77\.0\.1$/,
  );
  for (const f of ["ipx-client.json", "ipx-engine.json"]) {
    assert.equal((await readConnectionFile(`${sec}/${f}`)).host, "10.77.0.1", f);
  }
  // on this machine the files still work (through the controller's local socket)
  await using client = await Client.connect({ file: `${sec}/ipx-client.json`, timeoutMs: 5000 });
  assert.deepEqual(client.ids, []);
});

Deno.test("ipx controller on a port in use says so", async () => {
  await using dir = await tempIpxDir();
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  for (const tls of [[], ["--no-tls"]]) {
    const run = await runIpx(dir.path, "controller", "--port", String(port), ...tls);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, new RegExp(`127\\.0\\.0\\.1:${port}: the port is in use`));
  }
});

Deno.test("ipx controller names a port out of range or an address this machine lacks", async () => {
  await using dir = await tempIpxDir();
  const high = await runIpx(dir.path, "controller", "--port", "70000");
  assert.equal(high.code, 2);
  assert.match(high.stderr, /--port must be at most 65535 \(0: any free port\), got "70000"/);
  // 192.0.2.0/24 is reserved for documentation: no machine has it
  const foreign = await runIpx(dir.path, "controller", "--ip", "192.0.2.7");
  assert.notEqual(foreign.code, 0);
  assert.match(
    foreign.stderr,
    /Cannot listen on 192\.0\.2\.7:0: this machine has no such address \(.+\); use --ip with one of its addresses, or 0\.0\.0\.0 for all/,
  );
});

Deno.test("ipx controller --hwm takes auto or a count and refuses anything else", async () => {
  await using dir = await tempIpxDir();
  for (const bad of ["-1", "two", "1.5"]) {
    const run = await runIpx(dir.path, "controller", "--hwm", bad);
    assert.notEqual(run.code, 0);
    const want = `--hwm must be "auto" or an integer of at least 0, got "${bad}"`;
    assert.ok(run.stderr.includes(want), run.stderr);
  }
  for (const good of ["auto", "3"]) {
    await using controller = new IpxProcess(dir.path, "controller", "--hwm", good, "--no-db");
    await controller.waitFor(READY);
    assert.equal((await controller.stop("SIGTERM")).code, 0);
  }
});

Deno.test("engines register 0,1,2, run code, and a killed engine leaves ids", async () => {
  await using dir = await tempIpxDir();
  // engines started first wait for the connection file, then connect
  await using engines = new IpxProcess(dir.path, "engine", "--n", "3");
  await engines.waitFor(/waiting for .*ipx-engine\.json/);
  await using controller = new IpxProcess(
    dir.path,
    "controller",
    "--heartbeat-ms",
    "100",
    "--dead-after-ms",
    "1000",
  );
  await controller.waitFor(READY);
  await using client = await Client.connect({
    file: `${dir.path}/profile_default/security/ipx-client.json`,
  });
  assert.deepEqual(await client.waitForEngines(3, { timeoutMs: 30_000 }), [0, 1, 2]);
  assert.deepEqual(await client.directView().apply(() => 1), [1, 1, 1]);
  const victim = client.engines.find((e) => e.id === 1)!;
  const gone = Promise.withResolvers<string>();
  client.onEngine((e) => {
    if (e.type === "unregistered" && e.engineId === 1) gone.resolve(e.reason);
  });
  Deno.kill(victim.pid, "SIGKILL");
  await gone.promise;
  assert.deepEqual(client.ids, [0, 2]);
  assert.deepEqual(await client.directView().apply(() => 2), [2, 2]);
  await engines.waitFor(/engine 1 \(pid \d+\) died: killed by signal SIGKILL/);
  await engines.stop("SIGTERM");
  await controller.stop("SIGTERM");
  assert.deepEqual(await processesMatching(dir.path), []);
});

Deno.test("an engine with no controller gives up with a message naming the file", async () => {
  await using dir = await tempIpxDir();
  const run = await runIpx(dir.path, "engine", "--wait-ms", "300");
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /ipx-engine\.json/);
});

Deno.test("a client with the wrong key gets AuthenticationError naming its file; a dead address ConnectionError", async () => {
  await using dir = await tempIpxDir();
  // over TCP (--no-ipc), as from another machine: the local socket is tested in local_socket_test.ts
  await using controller = new IpxProcess(dir.path, "controller", "--no-tls", "--no-ipc");
  await controller.waitFor(READY);
  assert.match(controller.output, /TLS is OFF/);
  const good = await readConnectionFile(`${dir.path}/profile_default/security/ipx-client.json`);
  const bad = `${dir.path}/bad-client.json`;
  await writeConnectionFile(bad, { ...good, key: generateKey() });
  await rejects(Client.connect({ file: bad }), (e: unknown) => {
    assert.ok(e instanceof AuthenticationError, String(e));
    assert.match(e.message, /bad-client\.json does not match/);
    return true;
  });
  await controller.waitFor(/rejected connection from 127\.0\.0\.1:\d+/);
  await assertDeadPortRefused(dir.path, good);
});
