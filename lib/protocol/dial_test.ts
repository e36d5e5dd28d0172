import assert from "node:assert/strict";
import { dial } from "./dial.ts";
import { ConnectionError } from "./errors.ts";
import { listenUnix } from "./unix_socket.ts";
import { leaveStaleSocket, withTempDir } from "./testing.ts";

/** A plain TCP listener counting the connections it accepts. */
function tcpServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const loop = (async () => {
    for await (const c of listener) accepted.push(c);
  })();
  return {
    port: listener.addr.port,
    accepted,
    async close() {
      for (const c of accepted) c.close();
      listener.close();
      await loop.catch(() => {});
    },
  };
}

const base = { transport: "tcp" as const, host: "127.0.0.1", profile: "default" };

Deno.test("dial prefers the controller's Unix socket, and falls back to TCP when it cannot be used", async () => {
  await withTempDir("ipx_dial_", async (dir) => {
    const tcp = tcpServer();
    const path = `${dir}/ipx.sock`;
    const unix = listenUnix(path);
    try {
      const local = await dial({ ...base, port: tcp.port, ipcPath: path });
      assert.equal(local.local, true);
      (await unix.accept())?.close();
      local.close();

      const forced = await dial({ ...base, port: tcp.port, ipcPath: path }, { noIpc: true });
      assert.notEqual(forced.local, true);
      forced.close();

      // missing file (another machine, or no controller here)
      const missing = await dial({ ...base, port: tcp.port, ipcPath: `${dir}/absent.sock` });
      assert.notEqual(missing.local, true);
      missing.close();

      // a stale socket: left by a controller that died, nobody accepting
      const deadPath = `${dir}/dead.sock`;
      await leaveStaleSocket(deadPath);
      const stale = await dial({ ...base, port: tcp.port, ipcPath: deadPath });
      assert.notEqual(stale.local, true);
      stale.close();
      assert.equal(tcp.accepted.length >= 3, true);
    } finally {
      unix.close();
      await tcp.close();
    }
  });
});

Deno.test("dial: when neither the socket nor the port answers, the error names the network address", async () => {
  await withTempDir("ipx_dial_", async (dir) => {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = probe.addr.port;
    probe.close();
    await assert.rejects(
      dial({ ...base, port, ipcPath: `${dir}/absent.sock` }, { source: "ipx-client.json" }),
      (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
        assert.match(e.message, /ipx-client\.json/);
        return true;
      },
    );
  });
});
