import assert from "node:assert/strict";
import { ensureCertificates } from "../controller/certs.ts";
import { AuthenticationError } from "./errors.ts";
import { fingerprintPem } from "./tls.ts";
import {
  checkCaFingerprint,
  normalizeFingerprint,
  pemBlock,
  pemCertificates,
  TlsPinError,
} from "./tls_pins.ts";

/** Fresh certificates in a temporary security directory. */
async function material() {
  const dir = await Deno.makeTempDir({ prefix: "ipx_tls_pins_test_" });
  try {
    return await ensureCertificates({ securityDir: dir, hosts: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const shared = await material();
const otherCa = await material();

Deno.test("checkCaFingerprint: the file's CA pin must match its CA certificate", async () => {
  const pin = await fingerprintPem(shared.caCertPem);
  await checkCaFingerprint(shared.caCertPem, pin);
  await checkCaFingerprint(shared.caCertPem, pin.toUpperCase().match(/../g)!.join(":"));
  for (
    const [caPem, fingerprint, message] of [
      [shared.caCertPem, "0".repeat(64), /does not match the CA certificate in the same file/],
      [otherCa.caCertPem, pin, /does not match the CA certificate in the same file/],
      ["no certificate here", pin, /"tlsCaPem" holds no PEM certificate/],
    ] as const
  ) {
    const where = { source: "/x/ipx-client.json", fileName: "ipx-client.json" };
    const error = await checkCaFingerprint(caPem, fingerprint, where).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof TlsPinError, `expected TlsPinError, got ${error}`);
    assert.ok(error instanceof AuthenticationError); // engines stop instead of retrying
    assert.equal(error.pin, "tlsFingerprint");
    assert.match(error.message, /^The CA pin in \/x\/ipx-client\.json \("tlsFingerprint": /);
    assert.match(error.message, message);
    assert.match(
      error.message,
      /tampered with or be stale: copy a fresh ipx-client\.json from the controller's profile security dir/,
    );
  }
});

Deno.test("normalizeFingerprint accepts SHA-256 hex with or without colons, in any case", () => {
  const hex = "ab".repeat(32);
  assert.equal(normalizeFingerprint(hex), hex);
  assert.equal(normalizeFingerprint(hex.toUpperCase().match(/../g)!.join(":")), hex);
  for (const bad of ["", "ab".repeat(31), "ab".repeat(33), "zz".repeat(32), "sha256:" + hex]) {
    assert.equal(normalizeFingerprint(bad), undefined, bad);
  }
});

Deno.test("pemBlock writes 64-character base64 lines that pemCertificates reads back", () => {
  for (const size of [1, 47, 48, 49, 100_000]) {
    const der = Uint8Array.from({ length: size }, (_, i) => (i * 7 + size) & 0xff);
    const pem = pemBlock(der, "CERTIFICATE");
    const lines = pem.split("\n");
    assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
    assert.equal(lines.at(-2), "-----END CERTIFICATE-----");
    assert.equal(lines.at(-1), "");
    const body = lines.slice(1, -2);
    assert.ok(body.every((line, i) => line.length === 64 || i === body.length - 1));
    assert.deepEqual(pemCertificates(pem + pem), [der, der]);
  }
  assert.match(pemBlock(Uint8Array.of(1), "PRIVATE KEY"), /^-----BEGIN PRIVATE KEY-----\nAQ==\n/);
});
