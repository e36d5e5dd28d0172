import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { pemBlock, pemCertificates } from "../protocol/tls_pins.ts";
import { buildCertificate, issuerParts, KEY_USAGE } from "./cert_builder.ts";
import { canonicalIp } from "./cert_hosts.ts";
import {
  altNames,
  CertificateError,
  ensureCertificates,
  loadUserCertificates,
  SERVER_VALID_DAYS,
} from "./certs.ts";
import { children, readElement } from "./der.ts";

const DAY_MS = 86_400_000;
const FILES = ["ca.pem", "ca-key.pem", "server.pem", "server-key.pem"];

async function tempDir() {
  const path = await Deno.makeTempDir({ prefix: "ipx_certs_test_" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

async function snapshot(dir: string) {
  const out: Record<string, { text: string; mtime: number | undefined; mode: number }> = {};
  for (const name of FILES) {
    const stat = await Deno.stat(`${dir}/${name}`);
    out[name] = {
      text: await Deno.readTextFile(`${dir}/${name}`),
      mtime: stat.mtime?.getTime(),
      mode: (stat.mode ?? 0) & 0o777,
    };
  }
  return out;
}

function sans(certPem: string): string[] {
  return altNames(new X509Certificate(certPem)).sort();
}

/** The OIDs (dotted) of a certificate's extensions, each with its criticality. */
function extensionIds(certPem: string): Map<string, boolean> {
  const der = pemCertificates(certPem)[0]!;
  const tbs = children(der, children(der, readElement(der, 0))[0]!);
  const wrapper = tbs.find((e) => e.tag === 0xa3)!;
  const out = new Map<string, boolean>();
  for (const ext of children(der, children(der, wrapper)[0]!)) {
    const [id, second] = children(der, ext);
    const bytes = der.subarray(id!.contentStart, id!.end);
    const arcs = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
    let v = 0;
    for (const b of bytes.subarray(1)) {
      v = v * 128 + (b & 0x7f);
      if (!(b & 0x80)) (arcs.push(v), v = 0);
    }
    out.set(arcs.join("."), second!.tag === 0x01 && der[second!.contentStart] === 0xff);
  }
  return out;
}

async function hasOpenssl(): Promise<boolean> {
  try {
    return (await new Deno.Command("openssl", { args: ["version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

async function openssl(...args: string[]): Promise<string> {
  const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `openssl ${args.join(" ")} failed: ${text}`);
  return text;
}

Deno.test("ensureCertificates creates 0600 keys, a CA and a server cert listing the hosts", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const securityDir = `${dir}/security`;
  const hosts = ["10.1.2.3", "ctl.example.org", "[2001:db8::5]"];
  const tls = await ensureCertificates({ securityDir, hosts });
  assert.deepEqual(tls.generated, { ca: true, server: true });
  const files = await snapshot(securityDir);
  assert.equal(files["ca-key.pem"]?.mode, 0o600);
  assert.equal(files["server-key.pem"]?.mode, 0o600);
  assert.equal(files["ca.pem"]?.mode, 0o644);
  assert.equal(((await Deno.stat(securityDir)).mode ?? 0) & 0o777, 0o700);
  assert.deepEqual([...Deno.readDirSync(securityDir)].map((e) => e.name).sort(), [...FILES].sort());
  assert.equal(tls.caCertPem, files["ca.pem"]?.text);
  assert.equal(tls.keyPem, files["server-key.pem"]?.text);
  assert.match(tls.keyPem, /^-----BEGIN PRIVATE KEY-----\n/); // PKCS#8
  assert.deepEqual(sans(tls.certPem), [
    "dns:ctl.example.org",
    "dns:localhost",
    "ip:0:0:0:0:0:0:0:1",
    "ip:10.1.2.3",
    "ip:127.0.0.1",
    "ip:2001:db8:0:0:0:0:0:5",
  ]);
  const ca = new X509Certificate(tls.caCertPem);
  const server = new X509Certificate(tls.certPem);
  assert.equal(ca.ca, true);
  assert.deepEqual(ca.keyUsage, ["KeyCertSign", "CRLSign"]);
  assert.equal(ca.publicKey.asymmetricKeyType, "ec");
  assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
  assert.equal(ca.issuer, ca.subject);
  assert.ok(ca.verify(ca.publicKey));
  assert.equal(server.ca, false);
  assert.deepEqual(server.keyUsage, ["DigitalSignature"]);
  assert.deepEqual(
    [...extensionIds(tls.certPem)],
    [
      ["2.5.29.19", true], // basic constraints
      ["2.5.29.15", true], // key usage
      ["2.5.29.37", false], // extended key usage (serverAuth: the openssl test reads it)
      ["2.5.29.17", false], // subject alternative names
      ["2.5.29.14", false], // subject key identifier
      ["2.5.29.35", false], // authority key identifier
    ],
  );
  assert.equal(server.issuer, ca.subject);
  assert.ok(server.verify(ca.publicKey));
  assert.ok(server.checkIssued(ca));
  const lifetime = server.validToDate.getTime() - Date.now();
  assert.ok(Math.abs(lifetime - SERVER_VALID_DAYS * DAY_MS) < DAY_MS);
  // Deno's TLS stack accepts the key and certificate.
  Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: tls.certPem, key: tls.keyPem }).close();
});

Deno.test({
  name: "openssl agrees: chain verifies, CA and server extensions are as claimed",
  ignore: !(await hasOpenssl()),
  async fn() {
    await using tmp = await tempDir();
    const dir = tmp.path;
    await ensureCertificates({ securityDir: dir, hosts: ["192.0.2.9"] });
    assert.match(await openssl("verify", "-CAfile", `${dir}/ca.pem`, `${dir}/server.pem`), /OK/);
    const ca = await openssl("x509", "-in", `${dir}/ca.pem`, "-noout", "-text");
    assert.match(ca, /CA:TRUE/);
    assert.match(ca, /Certificate Sign/);
    assert.match(ca, /prime256v1/);
    const server = await openssl("x509", "-in", `${dir}/server.pem`, "-noout", "-text");
    assert.match(server, /TLS Web Server Authentication/);
    assert.match(server, /IP Address:192\.0\.2\.9/);
    assert.match(server, /CA:FALSE/);
    await openssl("pkey", "-in", `${dir}/server-key.pem`, "-noout");
  },
});

Deno.test("ensureCertificates is idempotent: same CA, files unchanged", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const first = await ensureCertificates({ securityDir: dir, hosts: ["ctl.example.org"] });
  const before = await snapshot(dir);
  const second = await ensureCertificates({ securityDir: dir, hosts: ["CTL.example.org"] });
  assert.deepEqual(await snapshot(dir), before);
  assert.deepEqual(second.generated, { ca: false, server: false });
  assert.equal(second.caFingerprint, first.caFingerprint);
  assert.equal(second.certPem, first.certPem);
  assert.ok(!(await Deno.stat(`${dir}/certs.lock`).then(() => true, () => false)));
});

Deno.test("concurrent first starts agree on one CA", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const results = await Promise.all(
    [0, 1, 2].map(() => ensureCertificates({ securityDir: dir, hosts: [] })),
  );
  assert.equal(new Set(results.map((r) => r.caFingerprint)).size, 1);
  assert.equal(results.filter((r) => r.generated?.ca).length, 1);
});

Deno.test("a new host reissues only the server certificate, with the same CA", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const first = await ensureCertificates({ securityDir: dir, hosts: ["10.0.0.1"] });
  const caKey = await Deno.readTextFile(`${dir}/ca-key.pem`);
  const second = await ensureCertificates({ securityDir: dir, hosts: ["10.0.0.2"] });
  assert.deepEqual(second.generated, { ca: false, server: true });
  assert.equal(second.caCertPem, first.caCertPem);
  assert.equal(await Deno.readTextFile(`${dir}/ca-key.pem`), caKey);
  assert.ok(sans(second.certPem).includes("ip:10.0.0.2"));
  assert.equal(((await Deno.stat(`${dir}/server-key.pem`)).mode ?? 0) & 0o777, 0o600);
});

Deno.test("wildcard 0.0.0.0 covers every interface address and the host name", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const tls = await ensureCertificates({ securityDir: dir, hosts: ["0.0.0.0"] });
  const listed = new Set(sans(tls.certPem));
  for (const nic of Deno.networkInterfaces()) {
    const address = canonicalIp(nic.address.replace(/%.*$/, ""));
    assert.ok(listed.has(`ip:${address}`), `${nic.address} missing from ${[...listed]}`);
  }
  assert.ok(listed.has(`dns:${Deno.hostname().toLowerCase()}`));
  assert.ok(!listed.has("ip:0.0.0.0"));
});

Deno.test("near expiry reissues the server certificate; an expired CA is replaced", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const t0 = Date.now();
  const first = await ensureCertificates({ securityDir: dir, hosts: [], now: new Date(t0) });
  const later = new Date(t0 + (SERVER_VALID_DAYS - 10) * DAY_MS);
  const renewed = await ensureCertificates({ securityDir: dir, hosts: [], now: later });
  assert.deepEqual(renewed.generated, { ca: false, server: true });
  assert.equal(renewed.caFingerprint, first.caFingerprint);
  const muchLater = new Date(t0 + 11 * 365 * DAY_MS);
  const replaced = await ensureCertificates({ securityDir: dir, hosts: [], now: muchLater });
  assert.deepEqual(replaced.generated, { ca: true, server: true });
  assert.notEqual(replaced.caFingerprint, first.caFingerprint);
});

Deno.test("partial or corrupt certificate files are reported, not silently replaced", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  await ensureCertificates({ securityDir: dir, hosts: [] });
  await Deno.remove(`${dir}/ca-key.pem`);
  await assert.rejects(
    ensureCertificates({ securityDir: dir, hosts: [] }),
    (e: unknown) =>
      e instanceof CertificateError && /ca-key\.pem is missing; restore it, or delete both/
        .test(e.message) &&
      /connection files will then stop working/.test(e.message),
  );
  await Deno.writeTextFile(`${dir}/ca-key.pem`, "garbage");
  await assert.rejects(
    ensureCertificates({ securityDir: dir, hosts: [] }),
    (e: unknown) => e instanceof CertificateError && /is not valid PEM/.test(e.message),
  );
});

Deno.test("loadUserCertificates accepts generated files and pins their CA", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const made = await ensureCertificates({ securityDir: dir, hosts: [] });
  const withCa = await loadUserCertificates({
    cert: `${dir}/server.pem`,
    key: `${dir}/server-key.pem`,
    ca: `${dir}/ca.pem`,
  });
  assert.equal(withCa.caFingerprint, made.caFingerprint);
  assert.equal(withCa.keyPem, made.keyPem);
  // Without --tls-ca, the certificates after the leaf in --tls-cert are pinned.
  await Deno.writeTextFile(`${dir}/chain.pem`, made.certPem + made.caCertPem);
  const chained = await loadUserCertificates({
    cert: `${dir}/chain.pem`,
    key: `${dir}/server-key.pem`,
  });
  assert.equal(chained.caFingerprint, made.caFingerprint);
  // A lone certificate issued by someone else cannot be verified by clients.
  await assert.rejects(
    loadUserCertificates({ cert: `${dir}/server.pem`, key: `${dir}/server-key.pem` }),
    (e: unknown) =>
      e instanceof CertificateError &&
      /was issued by "CN=ipx private CA [0-9a-f]{8}, O=ipx", which clients cannot verify without it; pass that CA with --tls-ca/
        .test(e.message),
  );
  // A CA certificate cannot serve (rustls: CaUsedAsEndEntity).
  await assert.rejects(
    loadUserCertificates({ cert: `${dir}/ca.pem`, key: `${dir}/ca-key.pem` }),
    (e: unknown) => e instanceof CertificateError && /is a CA certificate/.test(e.message),
  );
});

Deno.test("loadUserCertificates: clear errors for missing, non-PEM, mismatched and foreign files", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  await ensureCertificates({ securityDir: `${dir}/a`, hosts: [] });
  await ensureCertificates({ securityDir: `${dir}/b`, hosts: [] });
  await Deno.writeTextFile(`${dir}/text.pem`, "hello\n");
  await Deno.writeTextFile(
    `${dir}/enc.pem`,
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
  );
  const a = (f: string) => `${dir}/a/${f}`;
  const cases: [{ cert: string; key: string; ca?: string }, RegExp][] = [
    [
      { cert: `${dir}/nope.pem`, key: a("server-key.pem") },
      /^--tls-cert .*nope\.pem does not exist; check the path given to --tls-cert$/,
    ],
    [{ cert: a("server.pem"), key: `${dir}/nope.pem` }, /^--tls-key .*nope\.pem does not exist/],
    [
      { cert: a("server.pem"), key: a("server-key.pem"), ca: `${dir}/nope.pem` },
      /^--tls-ca .* does not exist/,
    ],
    [
      { cert: `${dir}/text.pem`, key: a("server-key.pem") },
      /--tls-cert .*text\.pem contains no PEM certificate/,
    ],
    [
      { cert: a("server.pem"), key: `${dir}/text.pem` },
      /--tls-key .*text\.pem contains no PEM private key/,
    ],
    [
      { cert: a("server.pem"), key: `${dir}/enc.pem` },
      /--tls-key .*enc\.pem is encrypted; decrypt it first/,
    ],
    [
      { cert: a("server.pem"), key: a("server-key.pem"), ca: `${dir}/text.pem` },
      /--tls-ca .* contains no PEM certificate/,
    ],
    [
      { cert: a("server.pem"), key: `${dir}/b/server-key.pem` },
      /--tls-key .*b\/server-key\.pem does not match the certificate in --tls-cert .*a\/server\.pem/,
    ],
    [
      { cert: a("server.pem"), key: a("server-key.pem"), ca: `${dir}/b/ca.pem` },
      /is not signed by the CA in --tls-ca/,
    ],
    [{ cert: dir, key: a("server-key.pem") }, /^--tls-cert .* cannot be read/],
  ];
  for (const [paths, message] of cases) {
    await assert.rejects(loadUserCertificates(paths), (e: unknown) => {
      assert.ok(e instanceof CertificateError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("loadUserCertificates refuses a --tls-key of another key pair in every format (SEC1, PKCS#1, RSA PKCS#8)", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  await ensureCertificates({ securityDir: dir, hosts: [] });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const others: Record<string, string> = {
    "other-ec-sec1.key": ec.export({ type: "sec1", format: "pem" }) as string,
    "other-ec-pkcs8.key": ec.export({ type: "pkcs8", format: "pem" }) as string,
    "other-rsa-pkcs1.key": rsa.export({ type: "pkcs1", format: "pem" }) as string,
    "other-rsa-pkcs8.key": rsa.export({ type: "pkcs8", format: "pem" }) as string,
  };
  for (const [name, pem] of Object.entries(others)) {
    await Deno.writeTextFile(`${dir}/${name}`, pem);
    await assert.rejects(
      loadUserCertificates({
        cert: `${dir}/server.pem`,
        key: `${dir}/${name}`,
        ca: `${dir}/ca.pem`,
      }),
      (e: unknown) => {
        assert.ok(e instanceof CertificateError, `${name}: ${e}`);
        assert.ok(
          e.message.startsWith(
            `--tls-key ${dir}/${name} does not match the certificate in --tls-cert ` +
              `${dir}/server.pem: it is not the private key`,
          ),
          e.message,
        );
        assert.match(e.message, /pass the matching key/);
        return true;
      },
    );
  }
  // the certificate's own key is accepted in SEC1 form too
  const own = createPrivateKey(await Deno.readTextFile(`${dir}/server-key.pem`));
  await Deno.writeTextFile(
    `${dir}/own-sec1.key`,
    own.export({ type: "sec1", format: "pem" }) as string,
  );
  const tls = await loadUserCertificates({
    cert: `${dir}/server.pem`,
    key: `${dir}/own-sec1.key`,
    ca: `${dir}/ca.pem`,
  });
  assert.match(tls.keyPem, /^-----BEGIN EC PRIVATE KEY-----/);
});

Deno.test("loadUserCertificates: a self-signed CA:FALSE certificate pins itself", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const certPem = pemBlock(
    await buildCertificate({
      serial: Uint8Array.of(7),
      subject: { commonName: "self" },
      keys,
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + DAY_MS),
      keyUsage: [KEY_USAGE.digitalSignature],
      altNames: { ips: ["127.0.0.1"], names: [] },
    }),
    "CERTIFICATE",
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  await Deno.writeTextFile(`${dir}/self.pem`, certPem);
  await Deno.writeTextFile(`${dir}/self-key.pem`, pemBlock(pkcs8, "PRIVATE KEY"));
  const tls = await loadUserCertificates({ cert: `${dir}/self.pem`, key: `${dir}/self-key.pem` });
  assert.equal(tls.caCertPem, certPem);
});

Deno.test("loadUserCertificates refuses an expired certificate", async () => {
  await using tmp = await tempDir();
  const dir = tmp.path;
  const past = new Date(Date.now() - 3 * DAY_MS);
  await ensureCertificates({ securityDir: dir, hosts: [], now: past, validDays: 1 });
  await assert.rejects(
    loadUserCertificates({ cert: `${dir}/server.pem`, key: `${dir}/server-key.pem` }),
    (e: unknown) => e instanceof CertificateError && /expired on .*renew/.test(e.message),
  );
});

Deno.test({
  name: "loadUserCertificates: unreadable file says permission denied",
  ignore: Deno.build.os === "windows" || Deno.uid() === 0, // root reads anything
  async fn() {
    await using tmp = await tempDir();
    const dir = tmp.path;
    await ensureCertificates({ securityDir: dir, hosts: [] });
    await Deno.chmod(`${dir}/server-key.pem`, 0o000);
    await assert.rejects(
      loadUserCertificates({ cert: `${dir}/server.pem`, key: `${dir}/server-key.pem` }),
      (e: unknown) => e instanceof CertificateError && /permission denied/.test(e.message),
    );
  },
});

const FIXTURE = new URL("./testdata/", import.meta.url);
/** Until when the fixture CA (made 2026-11-29 by @peculiar/x509, which ipx used before) is valid. */
const FIXTURE_CA_VALID_UNTIL = Date.parse("2036-11-26T00:00:00Z");

Deno.test({
  name:
    "a CA made by the X.509 library ipx used before keeps working: certificates issued now chain to it",
  ignore: Date.now() > FIXTURE_CA_VALID_UNTIL - 900 * DAY_MS,
  async fn() {
    await using tmp = await tempDir();
    const dir = tmp.path;
    for (const name of FILES) {
      await Deno.copyFile(new URL(`x509_lib_${name}`, FIXTURE), `${dir}/${name}`);
      if (name.endsWith("-key.pem")) await Deno.chmod(`${dir}/${name}`, 0o600);
    }
    const caPem = await Deno.readTextFile(`${dir}/ca.pem`);
    // its server certificate is read as it is: same hosts, nothing reissued
    const same = await ensureCertificates({
      securityDir: dir,
      hosts: ["192.0.2.7"],
      now: new Date("2026-12-01T00:00:00Z"),
    });
    assert.deepEqual(same.generated, { ca: false, server: false });
    // a new host: a server certificate from this code, signed by the old CA
    const tls = await ensureCertificates({ securityDir: dir, hosts: ["192.0.2.8"] });
    assert.deepEqual(tls.generated, { ca: false, server: true });
    assert.equal(tls.caCertPem, caPem);
    const ca = new X509Certificate(caPem);
    const server = new X509Certificate(tls.certPem);
    assert.ok(server.verify(ca.publicKey) && server.checkIssued(ca));
    // the issuer name is the CA's subject byte for byte (the CA encodes it as PrintableString)
    const caDer = pemCertificates(caPem)[0]!;
    const serverDer = pemCertificates(tls.certPem)[0]!;
    const { nameDer } = issuerParts(caDer);
    assert.ok(
      serverDer.some((_, i) => nameDer.every((b, j) => serverDer[i + j] === b)),
      "the CA's subject DER appears in the server certificate",
    );
    if (await hasOpenssl()) {
      assert.match(await openssl("verify", "-CAfile", `${dir}/ca.pem`, `${dir}/server.pem`), /OK/);
    }
    // and a TLS client that trusts only the old CA completes a handshake with it
    using listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: tls.certPem,
      key: tls.keyPem,
    });
    const accepted = listener.accept().then(async (conn) => {
      await conn.handshake();
      return conn;
    });
    const client = await Deno.connectTls({
      hostname: "127.0.0.1",
      port: listener.addr.port,
      caCerts: [caPem],
    });
    await client.handshake();
    client.close();
    (await accepted).close();
  },
});
