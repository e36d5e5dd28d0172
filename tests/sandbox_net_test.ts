/**
 * The engine sandbox's network boundary, through a real engine process: user code has no
 * network at all, in particular it cannot reach the controller's own port (which the engine
 * process itself may reach) under any spelling of the address, so it can never speak the
 * protocol. Every denial reaches the client as a RemoteError naming what was denied; the engine
 * keeps working.
 */

import assert from "node:assert/strict";
import { startSandboxCluster } from "./sandbox_fixture.ts";

Deno.test("sandbox: user code has no network, not even to the controller", async (t) => {
  await using c = await startSandboxCluster();
  const port = c.info.port;

  await t.step("fetch, Deno.connect, Deno.listen and DNS are denied", async () => {
    const f = await c.refused(`await fetch("https://example.com/")`);
    assert.match(f.evalue, /net access to "example\.com(:443)?" denied/);
    const conn = await c.refused(`await Deno.connect({ hostname: "1.1.1.1", port: 53 })`);
    assert.match(conn.evalue, /net access to "1\.1\.1\.1:53" denied/);
    const listen = await c.refused(`Deno.listen({ port: 0 })`);
    assert.match(listen.evalue, /net access to .* denied/);
    await c.refused(`await Deno.resolveDns("example.com", "A")`);
  });

  await t.step("the controller's port is denied under every spelling of its address", async () => {
    const targets = [
      `await Deno.connect({ hostname: "127.0.0.1", port: ${port} })`,
      `await Deno.connect({ hostname: "localhost", port: ${port} })`,
      `await Deno.connect({ hostname: "::1", port: ${port} })`,
      `await Deno.connectTls({ hostname: "127.0.0.1", port: ${port} })`,
      `await fetch("http://2130706433:${port}/")`,
      `await fetch("http://127.1:${port}/")`,
      `await fetch("http://[::ffff:127.0.0.1]:${port}/")`,
    ];
    for (const code of targets) {
      const e = await c.refused(code);
      assert.match(
        e.evalue,
        /net access to .* denied by the (engine sandbox|sandbox of engine 0) \(allowed: none\)/,
        code,
      );
    }
  });

  await t.step("node:net and WebSocket are denied too", async () => {
    await c.refused(`
      const net = await import("node:net");
      await new Promise((resolve, reject) => {
        const s = net.connect(${port}, "127.0.0.1");
        s.on("connect", () => resolve("connected"));
        s.on("error", reject);
      })`);
    await c.refused(`
      await new Promise((resolve, reject) => {
        const ws = new WebSocket("ws://127.0.0.1:${port}/");
        ws.onopen = () => resolve("open");
        ws.onerror = (e) => reject(new Error(String(e.message)));
      })`);
  });

  await t.step("the engine keeps working after every denial", async () => {
    await c.assertAlive();
    // the denials came from Deno before any socket existed: the controller saw no stray
    // connection (one that got through without the key would be logged as rejected)
    assert.doesNotMatch(c.controller.output, /rejected connection/);
  });
});
