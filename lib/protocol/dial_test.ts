import assert from "node:assert/strict";
import { dial } from "./dial.ts";
import { ConnectionError } from "./errors.ts";
import { listenUnix, socketMatches, socketName } from "./unix_socket.ts";
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

const base = {
  transport: "tcp" as const,
  host: "127.0.0.1",
  profile: "default",
  key: btoa("k".repeat(32)),
};

Deno.test("dial prefers the controller's Unix socket, and falls back to TCP when it cannot be used", async () => {
  await withTempDir("ipx_dial_", async (dir) => {
    const tcp = tcpServer();
    const info = { ...base, port: tcp.port };
    const path = `${dir}/${socketName(info)}`;
    const unix = listenUnix(path);
    try {
      const local = await dial({ ...info, ipcPath: path });
      assert.equal(local.local, true);
      (await unix.accept())?.close();
      local.close();

      const forced = await dial({ ...info, ipcPath: path }, { noIpc: true });
      assert.notEqual(forced.local, true);
      forced.close();

      // missing file (another machine, or no controller here)
      await Deno.mkdir(`${dir}/elsewhere`);
      const missing = await dial({ ...info, ipcPath: `${dir}/elsewhere/${socketName(info)}` });
      assert.notEqual(missing.local, true);
      missing.close();

      // a stale socket: left by a controller that died, nobody accepting
      await Deno.mkdir(`${dir}/dead`);
      const deadPath = `${dir}/dead/${socketName(info)}`;
      await leaveStaleSocket(deadPath);
      const stale = await dial({ ...info, ipcPath: deadPath });
      assert.notEqual(stale.local, true);
      stale.close();
      assert.equal(tcp.accepted.length >= 3, true);
    } finally {
      unix.close();
      await tcp.close();
    }
  });
});

Deno.test("dial ignores a socket whose name does not match the file's address or CA", async () => {
  await withTempDir("ipx_dial_", async (dir) => {
    const tcp = tcpServer();
    const info = { ...base, port: tcp.port };
    // a controller's socket, named for another port (the file was edited, or is stale)
    const path = `${dir}/${socketName({ ...info, port: tcp.port + 1 })}`;
    const unix = listenUnix(path);
    let localAccepts = 0;
    const accepting = (async () => {
      for (let c = await unix.accept(); c; c = await unix.accept()) {
        localAccepts++;
        c.close();
      }
    })();
    try {
      const conn = await dial({ ...info, ipcPath: path });
      assert.notEqual(conn.local, true, "went to the file's address, not to the socket");
      conn.close();
      // the same for a file whose CA is not the one the socket was named for
      const tlsInfo = {
        ...info,
        transport: "tls" as const,
        tlsCaPem: "-----BEGIN CERTIFICATE-----",
      };
      assert.equal(
        socketMatches({
          ...tlsInfo,
          ipcPath: `${dir}/${socketName({ ...tlsInfo, tlsCaPem: "other" })}`,
        }),
        false,
      );
      assert.equal(socketMatches({ ...tlsInfo, ipcPath: `${dir}/${socketName(tlsInfo)}` }), true);
      assert.equal(socketMatches({ ...info }), false);
      // and for a file holding another key
      assert.equal(
        socketMatches({
          ...info,
          key: btoa("x".repeat(32)),
          ipcPath: `${dir}/${socketName(info)}`,
        }),
        false,
      );
      assert.equal(localAccepts, 0);
    } finally {
      unix.close();
      await accepting;
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
      dial({ ...base, port, ipcPath: `${dir}/${socketName({ ...base, port })}` }, {
        source: "ipx-client.json",
      }),
      (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
        assert.match(e.message, /ipx-client\.json/);
        return true;
      },
    );
  });
});
