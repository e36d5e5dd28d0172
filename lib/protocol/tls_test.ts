import assert from "node:assert/strict";
import { ensureCertificates, type TlsMaterial } from "../controller/certs.ts";
import { issuedByAny } from "./cert_chain.ts";
import { ConnectionError, TransportMismatchError } from "./errors.ts";
import { clientHandshake, serverHandshake } from "./handshake.ts";
import { listenNodeTls } from "./node_tls_server.ts";
import {
  completeHandshake,
  connectTlsPinned,
  fingerprintPem,
  listenTls,
  peerLeafCertificate,
  TlsError,
} from "./tls.ts";

const DAY_MS = 86_400_000;

/** Fresh certificates in a temporary security directory. */
async function material(options: { now?: Date; validDays?: number; hosts?: string[] } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "ipx_tls_test_" });
  try {
    return await ensureCertificates({ securityDir: dir, hosts: options.hosts ?? [], ...options });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const shared = await material();
const otherCa = await material();

/** TLS echo server on loopback that completes the handshake and echoes one read. */
function echoServer(tls: TlsMaterial, hostname = "127.0.0.1") {
  const listener = listenTls({ hostname, port: 0, certPem: tls.certPem, keyPem: tls.keyPem });
  const errors: unknown[] = [];
  const done = (async () => {
    for await (const conn of listener) {
      try {
        await completeHandshake(conn, { role: "server", timeoutMs: 2000 });
        const buf = new Uint8Array(64 * 1024);
        const n = await conn.read(buf);
        if (n !== null) await conn.write(buf.subarray(0, n));
      } catch (error) {
        errors.push(error);
      } finally {
        try {
          conn.close();
        } catch { /* closed by completeHandshake */ }
      }
    }
  })();
  return {
    port: listener.addr.port,
    errors,
    async [Symbol.asyncDispose]() {
      listener.close();
      await done;
    },
  };
}

async function rejects(promise: Promise<unknown>, reason: string, message: RegExp) {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof TlsError, `expected TlsError, got ${error}`);
  assert.equal(error.reason, reason, error.message);
  assert.match(error.message, message);
  assert.ok(error instanceof ConnectionError);
}

Deno.test("pinned CA: connect over loopback and exchange bytes", async () => {
  await using server = echoServer(shared);
  const conn = await connectTlsPinned({
    hostname: "127.0.0.1",
    port: server.port,
    caPem: shared.caCertPem,
  });
  try {
    const payload = crypto.getRandomValues(new Uint8Array(4096));
    await conn.write(payload);
    const got = new Uint8Array(payload.length);
    let off = 0;
    while (off < got.length) {
      const n = await conn.read(got.subarray(off));
      assert.notEqual(n, null);
      off += n ?? 0;
    }
    assert.deepEqual(got, payload);
  } finally {
    conn.close();
  }
});

Deno.test("pinned CA: IPv6 loopback, bracketed or not, and a DNS name via serverName", async () => {
  await using server = echoServer(shared, "::1");
  for (const hostname of ["::1", "[::1]"]) {
    const conn = await connectTlsPinned({ hostname, port: server.port, caPem: shared.caCertPem });
    conn.close();
  }
  const byName = await connectTlsPinned({
    hostname: "::1",
    port: server.port,
    caPem: shared.caCertPem,
    serverName: "localhost",
  });
  byName.close();
});

Deno.test("Deno still exposes the peer-certificate hook that strict pinning relies on", async () => {
  await using server = echoServer(shared);
  const conn = await connectTlsPinned({
    hostname: "127.0.0.1",
    port: server.port,
    caPem: shared.caCertPem,
  });
  try {
    const leaf = peerLeafCertificate(conn);
    assert.ok(leaf, "Deno.TlsConn lost its getPeerCertificate hook: pinning is rustls-only now");
    const leafPem = `-----BEGIN CERTIFICATE-----\n${btoa(String.fromCharCode(...leaf))}\n` +
      `-----END CERTIFICATE-----\n`;
    assert.equal(await fingerprintPem(leafPem), await fingerprintPem(shared.certPem));
    assert.equal(issuedByAny(leaf, shared.caCertPem), true);
    assert.equal(issuedByAny(leaf, otherCa.caCertPem), false);
  } finally {
    conn.close();
  }
});

Deno.test("the controller's certificate is accepted by its pin, or reissued by the pinned CA", async () => {
  await using server = echoServer(shared);
  const pinned = await fingerprintPem(shared.certPem);
  // as the file stores it, or as openssl prints it (upper case, colons); or a stale pin: the
  // controller reissued its certificate (same CA) after the file was copied
  for (
    const leafFingerprint of [pinned, pinned.toUpperCase().match(/../g)!.join(":"), "00".repeat(32)]
  ) {
    const conn = await connectTlsPinned({
      hostname: "127.0.0.1",
      port: server.port,
      caPem: shared.caCertPem,
      leafFingerprint,
    });
    conn.close();
  }
  // the pin of the right certificate does not rescue a connection file with the wrong CA
  await rejects(
    connectTlsPinned({
      hostname: "127.0.0.1",
      port: server.port,
      caPem: otherCa.caCertPem,
      leafFingerprint: await fingerprintPem(shared.certPem),
    }),
    "unknown_ca",
    /not signed by the CA in the connection file/,
  );
});

Deno.test("a different CA is refused: not signed by the CA in the connection file", async () => {
  await using server = echoServer(shared);
  await rejects(
    connectTlsPinned({ hostname: "127.0.0.1", port: server.port, caPem: otherCa.caCertPem }),
    "unknown_ca",
    /not signed by the CA in the connection file.*copy a fresh connection file/,
  );
});

Deno.test("a CA trusted by the runtime but not pinned is refused (public-CA MITM)", async () => {
  // --cert adds `shared`'s CA to Deno's default root store, as a public CA would be. rustls then
  // accepts the server, and only the post-handshake pin check can refuse it.
  await using server = echoServer(shared);
  const dir = await Deno.makeTempDir({ prefix: "ipx_tls_mitm_" });
  try {
    await Deno.writeTextFile(`${dir}/root.pem`, shared.caCertPem);
    await Deno.writeTextFile(`${dir}/pinned.pem`, otherCa.caCertPem);
    const script = `
      import { connectTlsPinned } from ${JSON.stringify(import.meta.resolve("./tls.ts"))};
      const caPem = await Deno.readTextFile(${JSON.stringify(`${dir}/pinned.pem`)});
      try {
        const leafFingerprint = ${JSON.stringify(await fingerprintPem(otherCa.certPem))};
        (await connectTlsPinned({ hostname: "127.0.0.1", port: ${server.port}, caPem, leafFingerprint })).close();
        console.log("CONNECTED");
      } catch (e) { console.log(e.name + " " + e.reason + " " + e.message); }`;
    await Deno.writeTextFile(`${dir}/probe.ts`, script);
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", config, "--cert", `${dir}/root.pem`, `${dir}/probe.ts`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.match(
      text,
      /^TlsError unknown_ca .*\(issued by "CN=ipx private CA [0-9a-f]{8}, O=ipx"\) is not signed by the CA/m,
      text,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an expired server certificate is refused with a message about expiry", async () => {
  const expired = await material({ now: new Date(Date.now() - 3 * DAY_MS), validDays: 1 });
  await using server = echoServer(expired);
  await rejects(
    connectTlsPinned({ hostname: "127.0.0.1", port: server.port, caPem: expired.caCertPem }),
    "expired",
    /expired.*restart the controller/,
  );
});

Deno.test("a server certificate not valid yet is refused with a message about clocks", async () => {
  const future = await material({ now: new Date(Date.now() + 3 * DAY_MS) });
  await using server = echoServer(future);
  await rejects(
    connectTlsPinned({ hostname: "127.0.0.1", port: server.port, caPem: future.caCertPem }),
    "not_yet_valid",
    /not valid yet.*clocks/,
  );
});

Deno.test("a certificate that does not list the name is refused (SAN mismatch)", async () => {
  await using server = echoServer(shared);
  await rejects(
    connectTlsPinned({
      hostname: "127.0.0.1",
      port: server.port,
      caPem: shared.caCertPem,
      serverName: "ctl.example.org",
    }),
    "name_mismatch",
    /does not list .*"ctl\.example\.org"/,
  );
});

Deno.test("TLS to a plain-TCP server that never answers fails within the timeout", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept(); // hold the socket open, never write
  // Guard so a missing client timeout fails the test (reason "closed") instead of hanging it.
  const guard = setTimeout(() => accepted.then((conn) => conn.close()), 3000);
  const started = performance.now();
  await rejects(
    connectTlsPinned({
      hostname: "127.0.0.1",
      port: listener.addr.port,
      caPem: shared.caCertPem,
      timeoutMs: 200,
    }),
    "timeout",
    /did not complete within 200 ms/,
  );
  assert.ok(performance.now() - started < 3000, "the handshake timeout did not bound the wait");
  clearTimeout(guard);
  (await accepted).close();
});

Deno.test("TLS to a plain-TCP server that answers in plain text: not TLS", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
    conn.close();
  })();
  await rejects(
    connectTlsPinned({ hostname: "127.0.0.1", port: listener.addr.port, caPem: shared.caCertPem }),
    "not_tls",
    /did not answer with TLS/,
  );
  await served;
});

Deno.test("a peer that closes during the handshake: named, with the slow-network case first", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    await conn.read(new Uint8Array(4096)); // the ClientHello, then nothing: a deadline passed
    conn.close();
  })();
  await rejects(
    connectTlsPinned({ hostname: "127.0.0.1", port: listener.addr.port, caPem: shared.caCertPem }),
    "closed",
    /closed the connection during the handshake: on a slow or lossy network .* refused this client .* --no-tls/,
  );
  await served;
});

Deno.test("nothing listening: plain ConnectionError, not TlsError", async () => {
  const port = (() => {
    using l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return l.addr.port;
  })();
  const error = await connectTlsPinned({ hostname: "127.0.0.1", port, caPem: shared.caCertPem })
    .then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ConnectionError && !(error instanceof TlsError), String(error));
  assert.match(error.message, /Could not connect to 127\.0\.0\.1:\d+/);
});

Deno.test("server side: a plain-TCP client is reported as not TLS, a silent one times out", async () => {
  using listener = listenTls({
    hostname: "127.0.0.1",
    port: 0,
    certPem: shared.certPem,
    keyPem: shared.keyPem,
  });
  const plain = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  try {
    await plain.write(new TextEncoder().encode("hello, plain text\n"));
    const conn = await listener.accept();
    await rejects(completeHandshake(conn, { role: "server" }), "not_tls", /plain-TCP client/);
  } finally {
    plain.close();
  }
  const silent = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  let guardFired = false;
  const guard = setTimeout(() => { // fail (reason "closed") rather than hang
    guardFired = true;
    silent.close();
  }, 3000);
  try {
    const conn = await listener.accept();
    await rejects(
      completeHandshake(conn, { role: "server", timeoutMs: 100 }),
      "timeout",
      /within 100 ms/,
    );
  } finally {
    clearTimeout(guard);
    if (!guardFired) silent.close();
  }
});

Deno.test("listenTls rejects a key that is not PEM with a TlsError", () => {
  assert.throws(
    () => listenTls({ hostname: "127.0.0.1", port: 0, certPem: shared.certPem, keyPem: "nope" }),
    (e: unknown) => e instanceof TlsError && /certificate and key/.test(e.message),
  );
});

Deno.test("fingerprintPem: SHA-256 of the DER, lowercase hex; errors without a certificate", async () => {
  const fp = await fingerprintPem(shared.caCertPem);
  assert.match(fp, /^[0-9a-f]{64}$/);
  assert.equal(fp, shared.caFingerprint);
  const der = Uint8Array.from(
    atob(shared.caCertPem.replace(/-----[A-Z ]+-----|\s/g, "")),
    (c) => c.charCodeAt(0),
  );
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  assert.equal(fp, Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(""));
  await assert.rejects(fingerprintPem("not a pem"), TlsError);
});

Deno.test("TLS against plain TCP on loopback: each side says which one speaks TLS", async () => {
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  // a plain-TCP engine at the controller's TLS listener (node:tls, as the controller runs it)
  const tlsListener = await listenNodeTls({
    hostname: "127.0.0.1",
    port: 0,
    certPem: shared.certPem,
    keyPem: shared.keyPem,
  });
  try {
    const plain = await Deno.connect({ hostname: "127.0.0.1", port: tlsListener.port });
    await assert.rejects(
      clientHandshake(plain, { key, role: "engine", keySource: "e.json" }),
      (e: unknown) => {
        assert.ok(e instanceof TransportMismatchError, String(e));
        assert.match(e.message, /^The controller speaks TLS but e\.json says plain TCP/);
        return true;
      },
    );
  } finally {
    tlsListener.close();
  }
  // a TLS client at a plain-TCP (--no-tls) controller port
  using plainListener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = (async () => {
    const conn = await plainListener.accept();
    return await serverHandshake(conn, { key }).then(() => undefined, (e: unknown) => e);
  })();
  await rejects(
    connectTlsPinned({
      hostname: "127.0.0.1",
      port: plainListener.addr.port,
      caPem: shared.caCertPem,
    }),
    "not_tls",
    /did not answer with TLS: it is probably an ipx controller started with --no-tls \(plain TCP\) while the connection file says TLS, so copy a fresh connection file/,
  );
  const serverError = await server;
  assert.ok(serverError instanceof TransportMismatchError, String(serverError));
  assert.match(serverError.message, /tried TLS on this plain-TCP \(--no-tls\) port/);
});
