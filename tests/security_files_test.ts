/**
 * Connection files and keys on disk, through the real `ipx controller`: secrets are 0600 in a
 * 0700 directory with no temporary files left behind, and the controller refuses to start on a
 * security directory other users can write to. (Atomic writes themselves are unit-tested in
 * lib/protocol/write_file_atomic_test.ts; 0600 connection files and their removal at exit in
 * tests/cli_controller_test.ts.)
 */

import assert from "node:assert/strict";
import { IpxProcess, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { READY, startLiveCluster } from "./security_fixture.ts";

Deno.test("the controller's secrets are 0600 in a 0700 security dir, with no temporary files", async () => {
  await using c = await startLiveCluster();
  assert.equal((await Deno.stat(c.security)).mode! & 0o777, 0o700);
  const names: string[] = [];
  for await (const entry of Deno.readDir(c.security)) names.push(entry.name);
  const secrets = ["ipx-key", "ipx-client.json", "ipx-engine.json", "ca-key.pem", "server-key.pem"];
  for (const name of secrets) {
    assert.ok(names.includes(name), `${name} missing from ${names.join(", ")}`);
    assert.equal((await Deno.stat(`${c.security}/${name}`)).mode! & 0o777, 0o600, name);
  }
  const expected = new Set([...secrets, "ca.pem", "server.pem"]);
  const extra = names.filter((n) => !expected.has(n));
  assert.deepEqual(extra, [], "leftover files (temporary or unknown) in the security dir");
  const key = (await Deno.readTextFile(`${c.security}/ipx-key`)).trim();
  assert.equal(atob(key).length, 32, "a 256-bit key");
  assert.equal(c.info.key, key);
});

Deno.test("the task history (database, record log, result files) is owner-only", async () => {
  await using c = await startLiveCluster({ engines: 1 });
  const big = new Uint8Array(2 * 1024 * 1024).fill(7); // kept in a result file
  const dv = c.client.directView();
  await dv.push({ big });
  assert.equal(((await dv.pull("big"))[0] as Uint8Array).length, big.length);
  const profile = c.security.replace(/\/security$/, "");
  for (const name of ["ipx.sqlite", "ipx.sqlite.log"]) {
    assert.equal((await Deno.stat(`${profile}/${name}`)).mode! & 0o777, 0o600, name);
  }
  assert.equal((await Deno.stat(`${profile}/ipx.sqlite.results`)).mode! & 0o777, 0o700);
  // the value reaches its file in the background (the writer thread starts with the first one)
  const results = `${profile}/ipx.sqlite.results`;
  const deadline = Date.now() + 15_000;
  let names: string[] = [];
  while ((names = (await Array.fromAsync(Deno.readDir(results))).map((e) => e.name)).length === 0) {
    if (Date.now() > deadline) assert.fail("the pulled value was never kept in a result file");
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const name of names) {
    assert.equal((await Deno.stat(`${results}/${name}`)).mode! & 0o777, 0o600, name);
  }
});

Deno.test("ipx controller refuses a world-writable security dir with a clear error", async () => {
  await using dir = await tempIpxDir();
  const security = `${dir.path}/profile_default/security`;
  await Deno.mkdir(security, { recursive: true });
  await Deno.chmod(security, 0o777);
  await using controller = new IpxProcess(dir.path, "controller", "--no-tls");
  const outcome = await Promise.race([
    controller.child.status.then((s) => ({ exited: s.code })),
    controller.waitFor(READY).then(() => ({ exited: undefined }), () => ({ exited: -1 })),
  ]);
  if (outcome.exited === undefined) {
    await controller.stop();
    assert.fail(`the controller started on a world-writable ${security}:\n${controller.output}`);
  }
  const status = await controller.child.status;
  await controller.stop();
  assert.notEqual(status.code, 0);
  assert.match(controller.output, new RegExp(`${security.replaceAll("/", "\\/")}.*world-writable`));
  assert.match(controller.output, /chmod 700/);
  // nothing was written into the untrusted directory
  const names: string[] = [];
  for await (const entry of Deno.readDir(security)) names.push(entry.name);
  assert.deepEqual(names, []);
});
