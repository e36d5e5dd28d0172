import assert from "node:assert/strict";
import { ensureCertificates } from "../controller/certs.ts";
import { issuedByAny, issuerName, nameText } from "./cert_chain.ts";
import { pemCertificates } from "./tls_pins.ts";

async function material() {
  const dir = await Deno.makeTempDir({ prefix: "ipx_cert_chain_test_" });
  try {
    return await ensureCertificates({ securityDir: dir, hosts: [] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const one = await material();
const other = await material();
const leafOf = (pem: string) => pemCertificates(pem)[0]!;

Deno.test("issuedByAny() accepts a certificate its CA signed, or one in the bundle", () => {
  assert.equal(issuedByAny(leafOf(one.certPem), one.caCertPem), true);
  assert.equal(issuedByAny(leafOf(one.certPem), other.caCertPem + one.caCertPem), true);
  assert.equal(issuedByAny(leafOf(one.caCertPem), one.caCertPem), true, "the CA itself");
});

Deno.test("issuedByAny() refuses another CA's certificate and bytes that are none", () => {
  assert.equal(issuedByAny(leafOf(one.certPem), other.caCertPem), false);
  assert.equal(issuedByAny(new Uint8Array([48, 3, 1, 2, 3]), one.caCertPem), false);
});

Deno.test("issuerName() names the CA on one line", () => {
  const name = issuerName(leafOf(one.certPem));
  assert.equal(name.includes("\n"), false);
  assert.equal(name, issuerName(leafOf(one.caCertPem)), "a self-signed CA is its own issuer");
  assert.notEqual(name, issuerName(leafOf(other.certPem)), "each profile's CA has its own name");
  assert.equal(nameText("CN=a\nO=b"), "CN=a, O=b");
});
