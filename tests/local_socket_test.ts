/**
 * The controller's local Unix socket through real `ipx` processes: named in both connection
 * files, owner-only, used by engines and clients on the same machine (and refused without the
 * key), big values intact over it, TCP still served, the socket removed at stop and a stale one
 * (a controller killed with SIGKILL) replaced at the next start; `--no-ipc` turns it off. The
 * transport itself is unit-tested in lib/protocol/unix_socket_test.ts and dial_test.ts.
 */

import assert, { rejects } from "node:assert/strict";
import { AuthenticationError, Client } from "../mod.ts";
import { ensureCertificates } from "../lib/controller/certs.ts";
import { TlsError } from "../lib/protocol/tls.ts";
import { readConnectionFile, writeConnectionFile } from "../lib/protocol/connection_file.ts";
import { generateKey } from "../lib/protocol/auth.ts";
import { IpxProcess, processesMatching, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { assertDeadPortRefused } from "./_helpers/dead_port.ts";
import { socketName, UNIX_PATH_MAX_BYTES } from "../lib/protocol/unix_socket.ts";

const READY = /ipx controller ready on (\S+):(\d+) \((tls|tcp)\)/;

/** The connection file names no socket, and a client gets in over TCP/TLS. */
async function servesOverTcpOnly(controller: IpxProcess, clientFile: string): Promise<void> {
  assert.equal((await readConnectionFile(clientFile)).ipcPath, undefined);
  await using client = await Client.connect({ file: clientFile });
  await controller.waitFor(/client \d+ connected from 127\.0\.0\.1:\d+/);
  assert.deepEqual(client.ids, []);
}

Deno.test("engines and clients on the controller's machine use its owner-only local socket", async () => {
  await using dir = await tempIpxDir();
  const sec = `${dir.path}/profile_default/security`;
  const clientFile = `${sec}/ipx-client.json`;
  const controller = new IpxProcess(dir.path, "controller");
  const engines = new IpxProcess(dir.path, "engine", "--n", "1");
  let sock = "";
  try {
    await controller.waitFor(READY);
    await controller.waitFor(/and on \S+\/ipx-[0-9a-f]{16}\.sock for this machine/);
    const info = await readConnectionFile(clientFile);
    sock = `${sec}/${await socketName(info)}`;
    assert.equal(info.ipcPath, sock);
    assert.equal((await readConnectionFile(`${sec}/ipx-engine.json`)).ipcPath, sock);
    const st = Deno.lstatSync(sock);
    assert.ok(st.isSocket);
    assert.equal(st.mode! & 0o777, 0o600);
    assert.equal(Deno.statSync(sec).mode! & 0o777, 0o700);

    await using client = await Client.connect({ file: clientFile });
    assert.deepEqual(await client.waitForEngines(1, { timeoutMs: 30_000 }), [0]);
    await controller.waitFor(/engine 0 registered \(pid \d+ on .*, from the local socket\)/);
    await controller.waitFor(/client \d+ connected from the local socket/);
    const dv = client.directView(0);
    assert.deepEqual(await dv.apply((a: number, b: number) => a + b, 2, 3), [5]);
    // a big value goes both ways intact (frames over the socket carry no MAC)
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) & 0xff);
    await dv.push({ big });
    const [back] = await dv.pull("big") as [Uint8Array];
    assert.equal(back.length, big.length);
    assert.ok(back.every((b, i) => b === big[i]));

    // TCP/TLS is still served on the same machine when asked for
    await using overTls = await Client.connect({ file: clientFile, noIpc: true });
    await controller.waitFor(/client \d+ connected from 127\.0\.0\.1:\d+/);
    assert.deepEqual(await overTls.directView(0).apply(() => 7), [7]);

    // a copy with another key goes to the network address, as it would without the socket:
    // refused there and logged with its address (key proofs over the socket itself are
    // unit-tested in lib/protocol/handshake_test.ts)
    const bad = `${dir.path}/bad-client.json`;
    await writeConnectionFile(bad, { ...info, key: generateKey() });
    await rejects(Client.connect({ file: bad }), (e: unknown) => {
      assert.ok(e instanceof AuthenticationError, String(e));
      assert.match(e.message, /bad-client\.json does not match/);
      return true;
    });
    await controller.waitFor(
      /rejected connection from 127\.0\.0\.1:\d+: Peer \(client\) holds a different key/,
    );

    // a copy pointing at another port or pinning another CA does not reach this controller
    // through the socket: it gets that address's answer
    await assertDeadPortRefused(dir.path, info);
    const foreignDir = await Deno.makeTempDir({ prefix: "ipx_foreign_ca_" });
    try {
      const foreign = await ensureCertificates({ securityDir: foreignDir, hosts: [] });
      const pinned = `${dir.path}/foreign-ca-client.json`;
      await writeConnectionFile(pinned, {
        ...info,
        tlsCaPem: foreign.caCertPem,
        tlsFingerprint: foreign.caFingerprint,
      });
      await rejects(Client.connect({ file: pinned, timeoutMs: 5000 }), (e: unknown) => {
        const tls = e instanceof TlsError ? e : (e as Error).cause;
        assert.ok(tls instanceof TlsError, `expected a TlsError, got ${e}`);
        assert.equal(tls.reason, "unknown_ca");
        return true;
      });
    } finally {
      await Deno.remove(foreignDir, { recursive: true });
    }
  } finally {
    await engines.stop("SIGTERM");
    assert.equal((await controller.stop("SIGTERM")).code, 0);
  }
  assert.throws(() => Deno.lstatSync(sock), Deno.errors.NotFound);
  assert.deepEqual(await processesMatching(dir.path), []);
});

Deno.test("a stale local socket is replaced at the next start; --no-ipc turns the socket off", async () => {
  await using dir = await tempIpxDir();
  const sec = `${dir.path}/profile_default/security`;
  const clientFile = `${sec}/ipx-client.json`;
  const sockets = () => [...Deno.readDirSync(sec)].filter((e) => e.name.endsWith(".sock"));
  const killed = new IpxProcess(dir.path, "controller");
  await killed.waitFor(READY);
  const sock = (await readConnectionFile(clientFile)).ipcPath!;
  await killed.stop("SIGKILL");
  assert.ok(Deno.lstatSync(sock).isSocket, "SIGKILL leaves the socket file behind");

  const again = new IpxProcess(dir.path, "controller");
  try {
    await again.waitFor(READY);
    await using client = await Client.connect({ file: clientFile });
    await again.waitFor(/client \d+ connected from the local socket/);
    assert.deepEqual(client.ids, []);
  } finally {
    await again.stop("SIGTERM");
  }
  assert.deepEqual(sockets(), []);

  const plain = new IpxProcess(dir.path, "controller", "--no-ipc");
  try {
    await plain.waitFor(READY);
    assert.deepEqual(sockets(), []);
    await servesOverTcpOnly(plain, clientFile);
  } finally {
    await plain.stop("SIGTERM");
  }
});

Deno.test("a file in the way of the local socket: the controller warns and serves over TCP/TLS", async () => {
  await using dir = await tempIpxDir();
  const sec = `${dir.path}/profile_default/security`;
  const clientFile = `${sec}/ipx-client.json`;
  // learn the socket's name (the next start takes the same port again), then block it
  const first = new IpxProcess(dir.path, "controller");
  await first.waitFor(READY);
  const sock = (await readConnectionFile(clientFile)).ipcPath!;
  await first.stop("SIGTERM");
  await Deno.writeTextFile(sock, "not a socket");
  const controller = new IpxProcess(dir.path, "controller");
  try {
    await controller.waitFor(READY);
    await controller.waitFor(
      /no local socket: cannot listen on \S+\/ipx-[0-9a-f]{16}\.sock \(\S+ exists and is not a socket\)/,
    );
    await servesOverTcpOnly(controller, clientFile);
  } finally {
    await controller.stop("SIGTERM");
  }
  assert.equal(await Deno.readTextFile(sock), "not a socket");
});

Deno.test("a profile path too long for a Unix socket: no local socket, TCP/TLS for everyone", async () => {
  await using dir = await tempIpxDir();
  // IPX_DIR/profile_default/security/ipx-….sock must exceed the socket path limit
  const deep = `${dir.path}/${"d".repeat(Math.max(1, UNIX_PATH_MAX_BYTES - dir.path.length))}`;
  const controller = new IpxProcess(deep, "controller");
  try {
    await controller.waitFor(READY);
    await controller.waitFor(/no local socket: its path \S+ is too long for a Unix socket/);
    const clientFile = `${deep}/profile_default/security/ipx-client.json`;
    await servesOverTcpOnly(controller, clientFile);
  } finally {
    await controller.stop("SIGTERM");
  }
});
