import assert from "node:assert/strict";
import { ensureCertificates } from "../controller/certs.ts";
import { dial } from "./dial.ts";
import { AuthenticationError, ConnectionError } from "./errors.ts";
import { completeHandshake, fingerprintPem, listenTls } from "./tls.ts";
import { TlsPinError } from "./tls_pins.ts";
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

/** Accepts (and closes) every connection to `unix`, counting them, until it is closed. */
function countAccepts(
  unix: ReturnType<typeof listenUnix>,
): { accepts: number; done: Promise<void> } {
  const counted = { accepts: 0, done: Promise.resolve() };
  counted.done = (async () => {
    for (let c = await unix.accept(); c; c = await unix.accept()) {
      counted.accepts++;
      c.close();
    }
  })();
  return counted;
}

Deno.test("dial prefers the controller's Unix socket, and falls back to TCP when it cannot be used", async () => {
  await withTempDir("ipx_dial_", async (dir) => {
    const tcp = tcpServer();
    const info = { ...base, port: tcp.port };
    const path = `${dir}/${await socketName(info)}`;
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
      const missing = await dial({
        ...info,
        ipcPath: `${dir}/elsewhere/${await socketName(info)}`,
      });
      assert.notEqual(missing.local, true);
      missing.close();

      // a stale socket: left by a controller that died, nobody accepting
      await Deno.mkdir(`${dir}/dead`);
      const deadPath = `${dir}/dead/${await socketName(info)}`;
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
    const path = `${dir}/${await socketName({ ...info, port: tcp.port + 1 })}`;
    const unix = listenUnix(path);
    const counted = countAccepts(unix);
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
        await socketMatches({
          ...tlsInfo,
          ipcPath: `${dir}/${await socketName({ ...tlsInfo, tlsCaPem: "other" })}`,
        }),
        false,
      );
      assert.equal(
        await socketMatches({ ...tlsInfo, ipcPath: `${dir}/${await socketName(tlsInfo)}` }),
        true,
      );
      assert.equal(await socketMatches({ ...info }), false);
      // and for a file holding another key
      assert.equal(
        await socketMatches({
          ...info,
          key: btoa("x".repeat(32)),
          ipcPath: `${dir}/${await socketName(info)}`,
        }),
        false,
      );
      assert.equal(counted.accepts, 0);
    } finally {
      unix.close();
      await counted.done;
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
      dial({ ...base, port, ipcPath: `${dir}/${await socketName({ ...base, port })}` }, {
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

Deno.test("dial says why TCP failed, over TLS too, and a host name that does not resolve is named as such", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const dir = await Deno.makeTempDir({ prefix: "ipx_dial_tls_" });
  const tls = await ensureCertificates({ securityDir: dir, hosts: [] });
  await Deno.remove(dir, { recursive: true });
  const tlsFile = { ...base, transport: "tls" as const, tlsCaPem: tls.caCertPem };
  for (const file of [base, tlsFile]) {
    const refused = await dialError({ ...file, port }, { source: "ipx-engine.json" });
    assert.ok(refused instanceof ConnectionError);
    assert.match(refused.message, new RegExp(`127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
    assert.match(refused.message, /is the controller running .* is ipx-engine\.json current\?/);
    const unknown = await dialError({ ...file, host: "nosuch.invalid", port }, {
      source: "ipx-engine.json",
    });
    assert.ok(unknown instanceof ConnectionError, String(unknown));
    assert.match(unknown.message, /at nosuch\.invalid:\d+ \(unknown host name\)/);
    assert.match(unknown.message, /this machine cannot resolve the name nosuch\.invalid/);
    assert.match(unknown.message, /--location <name or address>.* "host" in ipx-engine\.json/);
  }
});

Deno.test("dial: a file naming a loopback address that cannot be reached says it came from a loopback-only controller", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  const hint =
    /\(if the controller runs on another machine: this file names (\S+), a loopback address, so it came from a controller listening only on its own machine; start that one with `--ip 0\.0\.0\.0 --location <its name or address>` and copy its file again\)$/;
  for (const host of ["127.0.0.1", "localhost"]) {
    const refused = await dialError({ ...base, host, port }, { source: "ipx-engine.json" });
    assert.ok(refused instanceof ConnectionError, String(refused));
    assert.match(refused.message, /is the controller running .* is ipx-engine\.json current\?/);
    assert.equal(refused.message.match(hint)?.[1], host, refused.message);
  }
  // 0.0.0.0 reaches this machine too, but is no loopback address: no such hint
  const wildcard = await dialError({ ...base, host: "0.0.0.0", port }, {
    source: "ipx-engine.json",
  });
  assert.ok(wildcard instanceof ConnectionError, String(wildcard));
  assert.doesNotMatch(wildcard.message, /loopback/);
});

/** A TLS server on loopback (certificates of a fresh private CA) that completes handshakes. */
async function tlsServer() {
  const dir = await Deno.makeTempDir({ prefix: "ipx_dial_tls_" });
  const tls = await ensureCertificates({ securityDir: dir, hosts: [] });
  await Deno.remove(dir, { recursive: true });
  const listener = listenTls({ hostname: "127.0.0.1", port: 0, ...tls });
  let accepted = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      accepted++;
      await completeHandshake(conn, { role: "server" }).catch(() => {});
      conn.close();
    }
  })();
  return {
    port: listener.addr.port,
    tls,
    get accepted() {
      return accepted;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await loop.catch(() => {});
    },
  };
}

async function dialError(...args: Parameters<typeof dial>): Promise<unknown> {
  return await dial(...args).then((conn) => {
    conn.close();
    return undefined;
  }, (e: unknown) => e);
}

Deno.test("dial enforces the CA pin of a TLS file; a stale certificate pin (a reissue) still connects", async () => {
  await using server = await tlsServer();
  const info = {
    ...base,
    role: "client" as const,
    transport: "tls" as const,
    port: server.port,
    tlsCaPem: server.tls.caCertPem,
    tlsFingerprint: server.tls.caFingerprint,
    tlsCertFingerprint: await fingerprintPem(server.tls.certPem),
  };
  const source = "/home/me/ipx-client.json";
  (await dial(info, { source })).close();
  assert.equal(server.accepted, 1);

  const badCa = await dialError({ ...info, tlsFingerprint: "0".repeat(64) }, { source });
  assert.ok(badCa instanceof TlsPinError, `expected TlsPinError, got ${badCa}`);
  assert.ok(badCa instanceof AuthenticationError);
  assert.equal(badCa.pin, "tlsFingerprint");
  assert.match(
    badCa.message,
    /^The CA pin in \/home\/me\/ipx-client\.json \("tlsFingerprint": 0{16}…\) does not match the CA certificate in the same file .*tampered with or be stale: copy a fresh ipx-client\.json from the controller's profile security dir/,
  );
  assert.equal(server.accepted, 1, "refused before connecting");

  // the controller reissued its certificate (same CA) after the file was copied
  (await dial({ ...info, tlsCertFingerprint: "0".repeat(64) }, { source })).close();
  assert.equal(server.accepted, 2);

  // an engine's file names the engine file to copy
  const engine = await dialError({ ...info, role: "engine", tlsFingerprint: "1".repeat(64) }, {
    source: "e.json",
  });
  assert.ok(engine instanceof TlsPinError);
  assert.match(engine.message, /copy a fresh ipx-engine\.json/);
});

Deno.test("dial checks the CA pin before the Unix socket too, and refuses a TLS file without a CA", async () => {
  await withTempDir("ipx_dial_", async (dir) => {
    await using server = await tlsServer();
    const info = {
      ...base,
      transport: "tls" as const,
      port: server.port,
      tlsCaPem: server.tls.caCertPem,
      tlsFingerprint: "0".repeat(64),
    };
    const path = `${dir}/${await socketName(info)}`;
    const unix = listenUnix(path);
    const counted = countAccepts(unix);
    try {
      assert.ok(await socketMatches({ ...info, ipcPath: path }));
      const error = await dialError({ ...info, ipcPath: path });
      assert.ok(error instanceof TlsPinError, `expected TlsPinError, got ${error}`);
      assert.equal(counted.accepts, 0);

      const { tlsCaPem: _, ...noCa } = info;
      const noCaError = await dialError({ ...noCa, ipcPath: path }, { source: "f.json" });
      assert.ok(noCaError instanceof ConnectionError, String(noCaError));
      assert.match(
        noCaError.message,
        /f\.json has no CA certificate \("tlsCaPem"\), and a fingerprint alone cannot be pinned; copy a fresh/,
      );
      assert.equal(counted.accepts, 0);
      assert.equal(server.accepted, 0);
    } finally {
      unix.close();
      await counted.done;
    }
  });
});
