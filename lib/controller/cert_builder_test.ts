import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { pemBlock } from "../protocol/tls_pins.ts";
import {
  buildCertificate,
  type CertificateSpec,
  ipBytes,
  issuerParts,
  KEY_USAGE,
  subjectKeyId,
} from "./cert_builder.ts";

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const DAY_MS = 86_400_000;

async function keyPair() {
  return await crypto.subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
}

async function caSpec(): Promise<CertificateSpec> {
  const now = Date.now();
  return {
    serial: Uint8Array.of(0x7f, 1, 2, 3),
    subject: { commonName: "test CA", organization: "ipx" },
    keys: await keyPair(),
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 10 * DAY_MS),
    caPathLength: 0,
    keyUsage: [KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign],
  };
}

Deno.test("a self-signed CA: node:crypto reads every field and the signature verifies", async () => {
  const spec = await caSpec();
  const cert = new X509Certificate(await buildCertificate(spec));
  assert.equal(cert.subject, "CN=test CA\nO=ipx");
  assert.equal(cert.issuer, cert.subject);
  assert.equal(cert.serialNumber, "7F010203");
  assert.equal(cert.ca, true);
  assert.deepEqual(cert.keyUsage, ["KeyCertSign", "CRLSign"]);
  assert.equal(cert.validFromDate.getTime(), Math.floor(spec.notBefore.getTime() / 1000) * 1000);
  assert.equal(cert.validToDate.getTime(), Math.floor(spec.notAfter.getTime() / 1000) * 1000);
  assert.ok(cert.verify(cert.publicKey));
  assert.equal(cert.subjectAltName, undefined);
});

Deno.test("a server certificate: issuer name and key id come from the CA, SANs as given", async () => {
  const caSpecified = await caSpec();
  const caDer = await buildCertificate(caSpecified);
  const ca = new X509Certificate(caDer);
  const parts = issuerParts(caDer);
  const caSpki = new Uint8Array(await crypto.subtle.exportKey("spki", caSpecified.keys.publicKey));
  assert.deepEqual(parts.keyId, await subjectKeyId(caSpki));
  assert.equal(parts.keyId?.length, 20);
  const keys = await keyPair();
  const der = await buildCertificate({
    serial: Uint8Array.of(0, 0, 0x80), // leading zeros dropped, a 00 put before the top bit
    subject: { commonName: "ipx controller" },
    issuer: { ...parts, privateKey: caSpecified.keys.privateKey },
    keys,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + DAY_MS),
    keyUsage: [KEY_USAGE.digitalSignature],
    serverAuth: true,
    altNames: { ips: ["127.0.0.1", "0:0:0:0:0:0:0:1", "2001:db8:0:0:0:0:0:5"], names: ["a.test"] },
  });
  const server = new X509Certificate(der);
  assert.equal(server.serialNumber, "80");
  assert.equal(server.issuer, ca.subject);
  assert.equal(server.ca, false);
  assert.ok(server.verify(ca.publicKey));
  assert.ok(!server.verify(server.publicKey));
  assert.ok(server.checkIssued(ca));
  assert.equal(
    server.subjectAltName,
    "IP Address:127.0.0.1, IP Address:::1, IP Address:2001:db8::5, DNS:a.test",
  );
  // the server's own key identifier is what a certificate it issued would carry
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  assert.deepEqual(issuerParts(der).keyId, await subjectKeyId(spki));
  // Deno's TLS stack serves it, and a client trusting only the CA completes a handshake
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  using listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: pemBlock(der, "CERTIFICATE"),
    key: pemBlock(pkcs8, "PRIVATE KEY"),
  });
  const accepted = listener.accept().then(async (conn) => (await conn.handshake(), conn));
  const client = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: listener.addr.port,
    caCerts: [pemBlock(caDer, "CERTIFICATE")],
  });
  await client.handshake();
  client.close();
  (await accepted).close();
});

Deno.test("bad serials and IPs are refused", async () => {
  const spec = await caSpec();
  await assert.rejects(buildCertificate({ ...spec, serial: new Uint8Array(0) }), RangeError);
  await assert.rejects(buildCertificate({ ...spec, serial: Uint8Array.of(0) }), RangeError);
  await assert.rejects(
    buildCertificate({ ...spec, serial: new Uint8Array(21).fill(1) }),
    RangeError,
  );
  await assert.rejects(
    buildCertificate({ ...spec, altNames: { ips: ["::1"], names: [] } }),
    /not a canonical IP literal: ::1/,
  );
  assert.deepEqual([...ipBytes("10.0.0.255")], [10, 0, 0, 255]);
  assert.deepEqual(
    [...ipBytes("2001:db8:0:0:0:0:0:5")],
    [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5],
  );
  assert.throws(() => ipBytes("256.0.0.1"), RangeError);
  assert.throws(() => ipBytes("localhost"), RangeError);
});

Deno.test("issuerParts: the subject name's exact DER; what is not a certificate is a DerError", async () => {
  const der = await buildCertificate(await caSpec());
  const { nameDer } = issuerParts(der);
  // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "test CA" } }, SET { … "ipx" } }
  assert.equal(nameDer[0], 0x30);
  assert.ok(new TextDecoder().decode(nameDer).includes("test CA"));
  // a self-signed certificate carries it twice: as issuer and as subject
  const at = (i: number) => nameDer.every((b, j) => der[i + j] === b);
  assert.equal(der.filter((_, i) => at(i)).length, 2);
  assert.throws(() => issuerParts(Uint8Array.of(0x02, 0x01, 0x00)), { name: "DerError" });
  assert.throws(() => issuerParts(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)), {
    name: "DerError",
  });
});
