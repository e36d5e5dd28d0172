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
import { generateKeyPairSync } from "node:crypto";
import { AuthenticationError, Client, ConnectionError, TransportMismatchError } from "../mod.ts";
import { ensureCertificates } from "../lib/controller/certs.ts";
import { readConnectionFile, writeConnectionFile } from "../lib/protocol/connection_file.ts";
import { connectTlsPinned, TlsError } from "../lib/protocol/tls.ts";
import { TlsPinError } from "../lib/protocol/tls_pins.ts";
import { IPX_FLAGS, IpxProcess, runIpx, tempIpxDir } from "./_helpers/ipx_cli.ts";
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

/**
 * Runs `ipx engine --n 1` with a connection file until it exits (a retrying engine fails the test
 * after `ms` instead of hanging it) and returns its output.
 */
async function engineUntilExit(ipxDir: string, file: string, ms = 20_000): Promise<string> {
  await using engine = new IpxProcess(ipxDir, "engine", "--file", file, "--n", "1");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    engine.child.status.then(() => true),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms)),
  ]);
  clearTimeout(timer);
  await engine.stop();
  assert.ok(exited, `the engine still runs after ${ms} ms (retrying?):\n${engine.output}`);
  return engine.output;
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
    await writeConnectionFile(file, {
      ...c.info,
      tlsCaPem: foreign.tls.caCertPem,
      tlsFingerprint: foreign.tls.caFingerprint,
    });
    await rejects(Client.connect({ file, timeoutMs: 5000 }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError, String(e));
      const tls = e instanceof TlsError ? e : e.cause;
      assert.ok(tls instanceof TlsError, `expected a TlsError, got ${e}`);
      assert.equal(tls.reason, "unknown_ca");
      assert.match(tls.message, /not signed by the CA in the connection file.*copy a fresh/);
      return true;
    });
  });

  await t.step("a file whose CA pin does not match is refused, naming the pin", async () => {
    for (
      const [field, message] of [
        ["tlsFingerprint", /^The CA pin in \S+ \("tlsFingerprint": 0{16}…\) does not match the CA/],
      ] as const
    ) {
      const file = `${c.dir}/bad-${field}-client.json`;
      await writeConnectionFile(file, { ...c.info, [field]: "0".repeat(64) });
      await rejects(Client.connect({ file, noIpc: true, timeoutMs: 5000 }), (e: unknown) => {
        assert.ok(e instanceof TlsPinError, `${field}: expected TlsPinError, got ${e}`);
        assert.ok(e instanceof AuthenticationError);
        assert.equal(e.pin, field);
        assert.match(e.message, message);
        assert.match(e.message, /tampered with or be stale: copy a fresh ipx-client\.json/);
        return true;
      });
    }
  });

  await t.step("a stale certificate pin still connects: a reissue by the same CA", async () => {
    const file = `${c.dir}/reissued-client.json`;
    await writeConnectionFile(file, { ...c.info, tlsCertFingerprint: "0".repeat(64) });
    const client = await Client.connect({ file, noIpc: true, timeoutMs: 5000 });
    await client.close();
  });

  await t.step("an engine whose file's CA pin does not match exits 3", async () => {
    const file = `${c.dir}/bad-pin-engine.json`;
    const engineInfo = await readConnectionFile(c.engineFile);
    await writeConnectionFile(file, { ...engineInfo, tlsFingerprint: "0".repeat(64) });
    const out = await engineUntilExit(c.dir, file);
    assert.match(
      out,
      /The CA pin in \S+bad-pin-engine\.json .*copy a fresh ipx-engine\.json/,
    );
    assert.match(out, /died: exit code 3 \(could not authenticate/);
  });

  await t.step(
    "a file saying plain TCP is told the controller speaks TLS; an engine exits 3",
    async () => {
      const { tlsCaPem: _c, tlsFingerprint: _f, tlsCertFingerprint: _l, ...plain } = c.info;
      const file = `${c.dir}/tcp-client.json`;
      await writeConnectionFile(file, { ...plain, transport: "tcp" });
      await rejects(Client.connect({ file, noIpc: true, timeoutMs: 5000 }), (e: unknown) => {
        assert.ok(e instanceof TransportMismatchError, String(e));
        assert.match(
          e.message,
          /^The controller speaks TLS but \S+tcp-client\.json says plain TCP \("transport": "tcp"\): copy a fresh ipx-client\.json/,
        );
        return true;
      });
      await c.waitLog(/rejected connection from 127\.0\.0\.1:\d+: TLS handshake failed/);
      const engineFile = `${c.dir}/tcp-engine.json`;
      await writeConnectionFile(engineFile, { ...plain, role: "engine", transport: "tcp" });
      const out = await engineUntilExit(c.dir, engineFile);
      assert.match(out, /The controller speaks TLS but \S+tcp-engine\.json says plain TCP/);
      assert.match(
        out,
        /died: exit code 3 \(could not authenticate, or a version or TLS\/plain-TCP/,
      );
      assert.doesNotMatch(out, /retrying/);
    },
  );

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
          `rejected connection from 127\\.0\\.0\\.1:${peer.localPort}: TLS handshake failed: ` +
            `.*the peer does not speak TLS: probably a client or engine whose connection file ` +
            `says "transport": "tcp"`,
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

Deno.test("a TLS client at a --no-tls controller: not TLS on its side, a clear line in the log", async () => {
  await using c = await startLiveCluster({ tls: false });
  await using foreign = await foreignCertificates();
  await rejects(
    connectTlsPinned({ hostname: c.info.host, port: c.info.port, caPem: foreign.tls.caCertPem }),
    (e: unknown) => {
      assert.ok(e instanceof TlsError, String(e));
      assert.equal(e.reason, "not_tls");
      assert.match(e.message, /an ipx controller started with --no-tls \(plain TCP\)/);
      return true;
    },
  );
  await c.waitLog(
    /rejected connection from 127\.0\.0\.1:\d+: A client or engine tried TLS on this plain-TCP \(--no-tls\) port/,
  );
  // still serving plain-TCP clients
  await using again = await Client.connect({ file: c.clientFile, noIpc: true, timeoutMs: 5000 });
  assert.deepEqual(again.ids, []);
});

Deno.test("ipx controller refuses a --tls-key that does not match --tls-cert, naming both", async () => {
  await using dir = await tempIpxDir();
  await using own = await foreignCertificates();
  const other = `${own.dir}/other.key`;
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  await Deno.writeTextFile(other, key.export({ type: "sec1", format: "pem" }) as string);
  await using ctl = new IpxProcess(
    dir.path,
    "controller",
    "--tls-cert",
    `${own.dir}/server.pem`,
    "--tls-key",
    other,
    "--tls-ca",
    `${own.dir}/ca.pem`,
  );
  const first = await Promise.race([
    ctl.child.status.then((s) => ({ exited: s.code })),
    ctl.waitFor(READY).then(() => ({ ready: true }), () => new Promise<never>(() => {})),
  ]);
  assert.ok("exited" in first, `the controller started with a mismatched key:\n${ctl.output}`);
  assert.notEqual(first.exited, 0);
  await ctl.stop();
  assert.match(
    ctl.output,
    /--tls-key \S+other\.key does not match the certificate in --tls-cert \S+server\.pem/,
  );
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
