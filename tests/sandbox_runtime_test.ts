/**
 * The engine sandbox's runtime boundary, through a real engine process: `node:` routes around
 * Deno's APIs (fs, child_process, sqlite), the environment, subprocesses, FFI, Workers asking
 * for more permissions, dynamic imports (remote, npm, outside files) and the permission API.
 * Every denial reaches the client as a RemoteError naming what was denied; the engine keeps
 * working.
 */

import assert from "node:assert/strict";
import { startSandboxCluster } from "./sandbox_fixture.ts";

/** Code that starts a Worker with `permissions` running `body`, and returns its first message. */
function nestedWorker(permissions: string, body: string): string {
  return `
    const src = ${JSON.stringify(body)};
    const w = new Worker("data:text/javascript," + encodeURIComponent(src), {
      type: "module",
      deno: { permissions: ${permissions} },
    });
    try {
      await new Promise((resolve, reject) => {
        w.onmessage = (e) => resolve(e.data);
        w.onerror = (e) => { e.preventDefault(); reject(new Error(e.message)); };
      });
    } finally { w.terminate(); }`;
}

Deno.test("sandbox: node routes, env, processes, FFI, workers and imports are denied", async (t) => {
  await using c = await startSandboxCluster();

  await t.step("node:fs cannot read or write outside the data dir", async () => {
    const read = await c.refused(`(await import("node:fs")).readFileSync("/etc/passwd", "utf8")`);
    assert.match(read.evalue, /read access to "\/etc\/passwd" denied/);
    const write = await c.refused(
      `(await import("node:fs")).writeFileSync("/tmp/ipx-node-fs-escape", "x")`,
    );
    assert.match(write.evalue, /write access to "\/tmp\/ipx-node-fs-escape" denied/);
    await c.refused(`await (await import("node:fs/promises")).readFile("/etc/hostname")`);
  });

  await t.step("node:child_process cannot start a process", async () => {
    // node asks for the environment (to pass it on) before it asks to run
    const e = await c.refused(`(await import("node:child_process")).execSync("id").toString()`);
    assert.match(e.evalue, /(env|run) access .*denied/);
    await c.refused(`(await import("node:child_process")).spawnSync("sh", ["-c", "id"])`);
  });

  await t.step("node:sqlite cannot open or ATTACH a database outside the data dir", async () => {
    const open = await c.refused(
      `const { DatabaseSync } = await import("node:sqlite"); new DatabaseSync("/tmp/ipx-x.db"); 1`,
    );
    assert.match(open.evalue, /read access to "\/tmp\/ipx-x\.db" denied/);
    // CVE-2025-48935: ATTACH used to bypass --allow-read/--allow-write; Deno now disables it
    const attach = await c.refused(
      `const { DatabaseSync } = await import("node:sqlite");
       const db = new DatabaseSync("inside.db");
       db.exec("ATTACH DATABASE '/tmp/ipx-attach.db' AS x"); 1`,
      "Error",
    );
    assert.match(attach.evalue, /too many attached databases - max 0/);
    await assert.rejects(Deno.stat("/tmp/ipx-attach.db"), Deno.errors.NotFound);
  });

  await t.step("the environment is not readable", async () => {
    const get = await c.refused(`Deno.env.get("HOME")`);
    assert.match(get.evalue, /env access to "HOME" denied/);
    await c.refused(`Deno.env.toObject()`);
    await c.refused(`(await import("node:process")).env.HOME`);
  });

  await t.step("subprocesses are denied: Deno.Command, Deno.run, Deno.kill", async () => {
    const e = await c.refused(`await new Deno.Command("sh", { args: ["-c", "id"] }).output()`);
    assert.match(e.evalue, /run access to "sh" denied/);
    await c.refused(`Deno.kill(1, "SIGTERM")`);
    const run = await c.refused(`Deno.run({ cmd: ["id"] })`);
    assert.match(run.evalue, /run access to "id" denied/);
  });

  await t.step("FFI is denied", async () => {
    const e = await c.refused(
      `Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } })`,
    );
    assert.match(e.evalue, /ffi access to "libc\.so\.6" denied/);
  });

  await t.step("a Worker cannot get more permissions than the sandbox", async () => {
    for (
      const permissions of [
        `{ read: true }`,
        `{ run: true }`,
        `{ net: true }`,
        `"inherit" && { env: true }`,
      ]
    ) {
      const e = await c.refused(nestedWorker(permissions, `postMessage("started")`));
      assert.match(
        e.evalue,
        /cannot have more permissions than the (engine sandbox|sandbox of engine 0) grants/,
      );
    }
    // an inheriting Worker is bound by the sandbox too (regression test for denoland/deno#29980)
    const inherited = await c.run(nestedWorker(
      `"inherit"`,
      `try { const fs = await import("node:fs"); postMessage(fs.readFileSync("/etc/passwd", "utf8")); }
       catch (e) { postMessage(e.name + ": " + e.message); }`,
    ));
    assert.match(String(inherited), /^NotCapable: Requires read access to "\/etc\/passwd"/);
  });

  await t.step(
    "imports from the network, jsr and files outside are denied; data: is allowed",
    async () => {
      const remote = await c.refused(`await import("https://esm.sh/lodash@4.17.21")`);
      assert.match(remote.evalue, /import access to "esm\.sh:443" denied/);
      const jsr = await c.refused(`await import("jsr:@std/path@1")`);
      assert.match(jsr.evalue, /import access to "jsr\.io:443" denied/);
      const file = await c.refused(`await import("file:///etc/passwd")`);
      assert.match(file.evalue, /read access to "\/etc\/passwd" denied/);
      // data: URLs carry their own code and reach nothing: allowed (documented policy)
      assert.equal(
        await c.run(`(await import("data:text/javascript,export default 41")).default + 1`),
        42,
      );
    },
  );

  await t.step("npm: imports neither reach the registry nor write the lockfile", async () => {
    // resolving an uncached npm: package would make the runtime fetch from the registry, a
    // network channel that --allow-net does not govern; the engine runs --cached-only
    const lock = await Deno.readTextFile(new URL("../deno.lock", import.meta.url));
    const name = `ipx-sandbox-probe-${crypto.randomUUID().slice(0, 8)}`;
    const npm = await c.refused(`await import("npm:${name}@1.0.0")`, "TypeError");
    assert.match(npm.evalue, /not found in cache|--cached-only/i);
    // a cached package outside the lockfile may load (no network), but the project's lockfile
    // must not change (the engine runs --no-lock)
    await c.run(`try { await import("npm:left-pad@1.3.0"); } catch { /* not cached here */ } 1`);
    assert.equal(await Deno.readTextFile(new URL("../deno.lock", import.meta.url)), lock);
    // and the engine can still start code workers (a poisoned lockfile state would stop it)
    await c.run("null");
    assert.equal(await c.client.directView(0).clear(), undefined);
    await c.assertAlive();
  });

  await t.step("permission requests are denied without prompting", async () => {
    assert.equal(await c.run(`(await Deno.permissions.request({ name: "read" })).state`), "denied");
    assert.equal(await c.run(`(await Deno.permissions.request({ name: "run" })).state`), "denied");
    assert.equal(await c.run(`(await Deno.permissions.query({ name: "net" })).state`), "prompt");
    await c.refused(`Deno.readTextFileSync("/etc/hostname")`);
  });

  await t.step("the engine keeps working after every denial", async () => {
    await c.assertAlive();
  });
});
