/**
 * Certificate chains as `node:crypto` parses them: whether a certificate was issued by one of a
 * bundle's, and its issuer's name. A module of its own because loading `node:crypto` costs a
 * process ~20–30 ms of CPU: the controller's certificate code imports it, while a peer's TLS
 * connect (`tls.ts`) loads it only when the controller presents a certificate other than the
 * one its connection file names (a reissue).
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import { pemCertificates } from "./tls_pins.ts";

/**
 * A distinguished name as `node:crypto` gives it (`CN=a\nO=b`) on one line (`CN=a, O=b`), for
 * messages.
 */
export function nameText(name: string): string {
  return name.replaceAll("\n", ", ");
}

/**
 * True when the certificate `leafDer` is one of the certificates in `bundlePem` or its signature
 * verifies with one of their public keys (a direct issuer; intermediates must be in the bundle).
 */
export function issuedByAny(
  leafDer: Uint8Array<ArrayBuffer>,
  bundlePem: string,
): boolean {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafDer);
  } catch {
    return false; // not a certificate: nothing in the bundle issued it
  }
  for (const der of pemCertificates(bundlePem)) {
    if (der.length === leafDer.length && der.every((v, i) => v === leafDer[i])) return true;
    try {
      if (leaf.verify(new X509Certificate(der).publicKey)) return true;
    } catch {
      // Unparsable entry or unsupported algorithm: try the next certificate.
    }
  }
  return false;
}

/**
 * The issuer of a certificate, on one line (see {@linkcode nameText}).
 *
 * @param der The certificate (DER).
 * @throws when it cannot be parsed.
 */
export function issuerName(der: Uint8Array<ArrayBuffer>): string {
  return nameText(new X509Certificate(der).issuer);
}
