/**
 * Builds the X.509 v3 certificates a controller needs (RFC 5280), signed with ECDSA P-256 and
 * SHA-256 through WebCrypto: a self-signed CA, and server certificates it issues. Writing these
 * few structures here, rather than loading a general X.509 library, keeps a controller's start
 * ~180 ms of CPU shorter (the library was 17 CommonJS packages). Certificates are read back with
 * `node:crypto`'s `X509Certificate`.
 *
 * @module
 */

import {
  bitString,
  boolean,
  children,
  type DerElement,
  DerError,
  explicit,
  implicit,
  integer,
  namedBits,
  octetString,
  oid,
  readElement,
  sequence,
  set,
  TAG,
  time,
  utf8String,
} from "./der.ts";

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
export const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** ECDSA with SHA-256, the signature every certificate built here carries. */
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;

/** What {@linkcode buildCertificate} puts into a certificate. */
export interface CertificateSpec {
  /** Serial number: positive, big-endian, at most 20 bytes. */
  serial: Uint8Array;
  /** Subject name: common name and organisation. */
  subject: { commonName: string; organization?: string };
  /**
   * The issuer: its subject name exactly as its certificate encodes it (DER), its key
   * identifier, and its private key. Absent for a self-signed certificate (the subject signs
   * with `keys.privateKey`).
   */
  issuer?: { nameDer: Uint8Array; keyId: Uint8Array | undefined; privateKey: CryptoKey };
  /** The subject's key pair (ECDSA P-256); only the public key is used when an issuer signs. */
  keys: { publicKey: CryptoKey; privateKey: CryptoKey };
  /** Validity period, to the second. */
  notBefore: Date;
  /** Validity period, to the second. */
  notAfter: Date;
  /** CA:TRUE with this path length, or a leaf (CA:FALSE) when undefined. */
  caPathLength?: number;
  /** KeyUsage bits ({@linkcode KEY_USAGE}); the extension is critical. */
  keyUsage: number[];
  /** Adds ExtendedKeyUsage serverAuth. */
  serverAuth?: boolean;
  /** Subject alternative names: IP literals (canonical text) and DNS names. */
  altNames?: { ips: Iterable<string>; names: Iterable<string> };
}

/**
 * Builds and signs a certificate.
 *
 * @returns Its DER.
 * @throws {RangeError} for an IP that is not an IPv4 or IPv6 literal, or a bad serial.
 */
export async function buildCertificate(spec: CertificateSpec): Promise<Uint8Array<ArrayBuffer>> {
  if (spec.serial.length === 0 || spec.serial.length > 20 || spec.serial.every((b) => b === 0)) {
    throw new RangeError("certificate serial must be 1–20 bytes and not zero");
  }
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", spec.keys.publicKey));
  const keyId = await subjectKeyId(spki);
  const subject = nameDer(spec.subject);
  const algorithm = sequence(oid(OID.ecdsaWithSha256));
  const extensions: Uint8Array[] = [
    extension(
      OID.basicConstraints,
      true,
      spec.caPathLength === undefined
        ? sequence()
        : sequence(boolean(true), integer(spec.caPathLength)),
    ),
    extension(OID.keyUsage, true, namedBits(spec.keyUsage)),
  ];
  if (spec.serverAuth) {
    extensions.push(extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth))));
  }
  if (spec.altNames) {
    const names = [
      ...[...spec.altNames.ips].map((ip) => implicit(7, ipBytes(ip))),
      ...[...spec.altNames.names].map((name) => implicit(2, new TextEncoder().encode(name))),
    ];
    if (names.length > 0) extensions.push(extension(OID.subjectAltName, false, sequence(...names)));
  }
  extensions.push(extension(OID.subjectKeyIdentifier, false, octetString(keyId)));
  if (spec.issuer?.keyId) {
    extensions.push(
      extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, spec.issuer.keyId))),
    );
  }
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(spec.serial),
    algorithm,
    spec.issuer?.nameDer ?? subject,
    sequence(time(spec.notBefore), time(spec.notAfter)),
    subject,
    spki,
    explicit(3, sequence(...extensions)),
  );
  const signer = spec.issuer?.privateKey ?? spec.keys.privateKey;
  const raw = new Uint8Array(await crypto.subtle.sign(SIGNING, signer, tbs));
  return sequence(tbs, algorithm, bitString(ecdsaSignatureDer(raw)));
}

/**
 * The key identifier of a public key: SHA-1 of the subjectPublicKey bits of its
 * SubjectPublicKeyInfo (RFC 5280 §4.2.1.2, method 1).
 */
export async function subjectKeyId(spki: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const outer = readElement(spki, 0);
  const bits = children(spki, outer)[1];
  if (bits === undefined || bits.tag !== TAG.BIT_STRING) {
    throw new DerError("SubjectPublicKeyInfo has no public key bit string");
  }
  // skip the unused-bits octet
  const key = spki.slice(bits.contentStart + 1, bits.end);
  return new Uint8Array(await crypto.subtle.digest("SHA-1", key));
}

/** The parts of an existing certificate that a certificate it issues must repeat. */
export interface IssuerParts {
  /** Its subject name's DER, byte for byte (the issued certificate's issuer name). */
  nameDer: Uint8Array<ArrayBuffer>;
  /** Its subject key identifier extension's value, when it has one. */
  keyId: Uint8Array<ArrayBuffer> | undefined;
}

/**
 * Reads the subject name and subject key identifier out of a certificate's DER.
 *
 * @throws {DerError} when the bytes are not an X.509 v3 certificate's structure.
 */
export function issuerParts(der: Uint8Array): IssuerParts {
  const cert = readElement(der, 0);
  const tbsElement = children(der, cert)[0];
  if (cert.tag !== TAG.SEQUENCE || tbsElement?.tag !== TAG.SEQUENCE) {
    throw new DerError("not an X.509 certificate");
  }
  const tbs = children(der, tbsElement);
  // version [0] is present in v3 certificates; without it every field moves up by one
  const first = tbs[0]?.tag === 0xa0 ? 1 : 0;
  const subject = tbs[first + 4];
  if (subject?.tag !== TAG.SEQUENCE) throw new DerError("certificate has no subject name");
  const extensionsWrapper = tbs.slice(first + 6).find((e) => e.tag === 0xa3);
  let keyId: Uint8Array<ArrayBuffer> | undefined;
  if (extensionsWrapper) {
    const list = children(der, extensionsWrapper)[0];
    for (const ext of list ? children(der, list) : []) {
      const [id, ...rest] = children(der, ext);
      if (id === undefined || !sameBytes(der, id, oid(OID.subjectKeyIdentifier))) continue;
      const value = rest[rest.length - 1];
      if (value?.tag !== TAG.OCTET_STRING) break;
      const inner = readElement(der, value.contentStart, value.end);
      if (inner.tag === TAG.OCTET_STRING) keyId = der.slice(inner.contentStart, inner.end);
      break;
    }
  }
  return { nameDer: der.slice(subject.start, subject.end), keyId };
}

/**
 * The 4 or 16 bytes of an IPv4 or canonical IPv6 literal (as `canonicalIp` writes them: dotted
 * quad, or 8 hex groups).
 *
 * @throws {RangeError} for anything else.
 */
export function ipBytes(ip: string): Uint8Array<ArrayBuffer> {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.every((n) => n <= 255)) return Uint8Array.from(parts);
  }
  const groups = ip.split(":");
  if (groups.length === 8 && groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) {
    const out = new Uint8Array(16);
    groups.forEach((g, i) => {
      const v = parseInt(g, 16);
      out[2 * i] = v >> 8;
      out[2 * i + 1] = v & 0xff;
    });
    return out;
  }
  throw new RangeError(`not a canonical IP literal: ${ip}`);
}

function nameDer(name: { commonName: string; organization?: string }): Uint8Array<ArrayBuffer> {
  const rdn = (type: string, value: string) => set(sequence(oid(type), utf8String(value)));
  const rdns = [rdn(OID.commonName, name.commonName)];
  if (name.organization !== undefined) rdns.push(rdn(OID.organization, name.organization));
  return sequence(...rdns);
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array<ArrayBuffer> {
  return critical
    ? sequence(oid(id), boolean(true), octetString(value))
    : sequence(oid(id), octetString(value)); // DEFAULT FALSE is omitted in DER
}

/** WebCrypto's ECDSA signature (r ‖ s, fixed width) as X.509 wants it: SEQUENCE { r, s }. */
function ecdsaSignatureDer(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  const half = raw.length / 2;
  return sequence(integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}

function sameBytes(der: Uint8Array, element: DerElement, expected: Uint8Array): boolean {
  if (element.end - element.start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) {
    if (der[element.start + i] !== expected[i]) return false;
  }
  return true;
}
