/**
 * TLS through a real `ipx controller` process: on by default with a pinned CA, refusals of a
 * foreign CA, a mismatched name, plain TCP and silent sockets (logged, nothing parsed as a
 * frame, the controller keeps serving), an expired user certificate, and the loud warning of
 * `--no-tls`. Certificate and pinning logic is unit-tested in lib/protocol/tls_test.ts and
 * lib/controller/certs_test.ts (expiry, not-yet-valid, SAN mismatch, public-CA MITM); these
 * tests check that the running controller is wired to it.
 */

import assert, { rejects } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Client, ConnectionError } from "../mod.ts";
import { ensureCertificates } from "../lib/controller/certs.ts";
import { writeConnectionFile } from "../lib/protocol/connection_file.ts";
import { connectTlsPinned, TlsError } from "../lib/protocol/tls.ts";
import { IPX_FLAGS, runIpx, tempIpxDir } from "./_helpers/ipx_cli.ts";
import { RawPeer } from "./_helpers/raw_peer.ts";
import { READY, startLiveCluster } from "./security_fixture.ts";

const DAY_MS = 86_400_000;

async function foreignCertificates(options: { now?: Date; validDays?: number } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "ipx_foreign_ca_" });
  return {
    dir,
    tls: await ensureCertificates({ securityDir: dir, hosts: [], ...options }),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("TLS is on by default and a client with the pinned CA runs code end to end", async () => {
  await using c = await startLiveCluster({ engines: 1 });
  assert.equal(c.info.transport, "tls");
  assert.match(c.info.tlsCaPem ?? "", /BEGIN CERTIFICATE/);
  assert.equal(c.client.connectionInfo.transport, "tls");
  await c.probe();
  // the engine reached the controller through the same pinned TLS (its file says tls)
  assert.match(await Deno.readTextFile(c.engineFile), /"transport": "tls"/);
});

Deno.test("TLS refusals are clear, logged by the controller, and leave it serving", async (t) => {
  await using c = await startLiveCluster({ engines: 1 });

  await t.step("a client whose connection file pins another CA is refused", async () => {
    await using foreign = await foreignCertificates();
    const file = `${c.dir}/foreign-ca-client.json`;
    await writeConnectionFile(file, { ...c.info, tlsCaPem: foreign.tls.caCertPem });
    await rejects(Client.connect({ file, timeoutMs: 5000 }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError, String(e));
      const tls = e instanceof TlsError ? e : e.cause;
      assert.ok(tls instanceof TlsError, `expected a TlsError, got ${e}`);
      assert.equal(tls.reason, "unknown_ca");
      assert.match(tls.message, /not signed by the CA in the connection file.*copy a fresh/);
      return true;
    });
  });

  await t.step("a certificate that does not name the host is refused", async () => {
    await rejects(
      connectTlsPinned({
        hostname: c.info.host,
        port: c.info.port,
        caPem: c.info.tlsCaPem!,
        serverName: "not-the-controller.example",
      }),
      (e: unknown) => {
        assert.ok(e instanceof TlsError, String(e));
        assert.equal(e.reason, "name_mismatch");
        return true;
      },
    );
  });

  await t.step(
    "a plain-TCP client speaking ipx to the TLS port is refused and logged",
    async () => {
      await using peer = await RawPeer.open({ ...c.target, transport: "tcp" });
      const sent = await peer.write(new Uint8Array([0, 0, 0, 5, 0x81, 0xa1, 0x74, 0xa1, 0x78]));
      assert.ok(sent);
      await peer.waitClosed();
      const [line] = await c.waitLog(
        new RegExp(
          `rejected connection from 127\\.0\\.0\\.1:${peer.localPort}: TLS handshake failed`,
        ),
      );
      assert.ok(line);
    },
  );

  await t.step(
    "a silent TCP socket on the TLS port is closed by the 2 s TLS deadline",
    async () => {
      await using peer = await RawPeer.open({ ...c.target, transport: "tcp" });
      const { ms } = await peer.waitClosed();
      assert.ok(ms >= 1800 && ms < 3500, `closed after ${ms.toFixed(0)} ms`);
      await c.waitLog(
        new RegExp(
          `rejected connection from 127\\.0\\.0\\.1:${peer.localPort}: TLS handshake ` +
            `failed: TLS handshake timeout`,
        ),
      );
    },
  );

  await t.step("the controller keeps serving", async () => {
    await c.probe();
    assert.deepEqual(c.client.ids, [0]);
  });
});

Deno.test("ipx controller refuses an expired --tls-cert with a clear error", async () => {
  await using dir = await tempIpxDir();
  await using expired = await foreignCertificates({
    now: new Date(Date.now() - 3 * DAY_MS),
    validDays: 1,
  });
  const run = await runIpx(
    dir.path,
    "controller",
    "--tls-cert",
    `${expired.dir}/server.pem`,
    "--tls-key",
    `${expired.dir}/server-key.pem`,
    "--tls-ca",
    `${expired.dir}/ca.pem`,
  );
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /expired/i);
  assert.match(run.stderr, /server\.pem/);
});

Deno.test("--no-tls warns loudly on stderr when the controller starts", async () => {
  await using dir = await tempIpxDir();
  const root = fileURLToPath(new URL("../", import.meta.url));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      `${root}deno.json`,
      ...IPX_FLAGS,
      `${root}main.ts`,
      "controller",
      "--no-tls",
    ],
    env: { IPX_DIR: dir.path, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const decoder = new TextDecoder();
    let stderr = "";
    for await (const chunk of child.stderr) {
      stderr += decoder.decode(chunk, { stream: true });
      if (/controller listening on/.test(stderr)) break;
    }
    const warning = stderr.split("\n").find((l) => /TLS is OFF/.test(l));
    assert.ok(warning, `no TLS warning on stderr:\n${stderr}`);
    assert.match(warning, /WARN/);
    assert.match(warning, /plain text/);
    // it comes before the controller says it listens
    assert.ok(stderr.indexOf("TLS is OFF") < stderr.indexOf("controller listening on"));
    let stdout = "";
    for await (const chunk of child.stdout) {
      stdout += decoder.decode(chunk, { stream: true });
      if (READY.test(stdout)) break;
    }
    assert.match(stdout, /\(tcp\)/);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel().catch(() => {});
  }
});
