/**
 * The certificate pins of a connection file: the CA pin check and its error, and the
 * fingerprints and PEM decoding they rest on.
 *
 * A connection file carries the CA's PEM (`tlsCaPem`), the SHA-256 of that CA certificate
 * (`tlsFingerprint`) and the SHA-256 of the controller's own certificate (`tlsCertFingerprint`).
 * The CA is the pin: the controller must present a certificate it signed. The CA pin is checked
 * against the PEM before connecting ({@linkcode checkCaFingerprint}; a mismatch, an edited or
 * damaged file, is a {@linkcode TlsPinError}). The certificate fingerprint names the certificate
 * the controller had when the file was written: a match skips parsing, and a certificate the
 * controller reissued since (near expiry, or for a new address) is accepted because the same CA
 * signed it — which is what keeps copies of the file on other machines working (`tls.ts`
 * checks the certificate the controller presents). A fingerprint alone (no CA PEM) cannot be
 * pinned: Deno's TLS client must be given the CA to accept a private one.
 *
 * @module
 */
import { AuthenticationError } from "./errors.ts";

/** Which pin of a connection file did not match (the CA's: the one pin that is enforced). */
export type TlsPin = "tlsFingerprint";

/**
 * A certificate pin of the connection file does not match: its CA fingerprint does not match its
 * CA certificate. The file was tampered with or is damaged. An {@linkcode AuthenticationError}:
 * the controller could not be authenticated as the one the file names, and retrying with the
 * same file cannot help.
 */
export class TlsPinError extends AuthenticationError {
  /** The connection file field whose pin failed. */
  readonly pin: TlsPin;
  /** The fingerprint the file pins (lowercase hex). */
  readonly expected: string;
  /** The fingerprint found (lowercase hex). */
  readonly actual: string;
  /** The controller's address, when the failed pin is its certificate's. */
  readonly address: string | undefined;
  /**
   * @param message What happened and what to do about it.
   * @param options The pin, both fingerprints, the address, and `cause`.
   */
  constructor(
    message: string,
    options: ErrorOptions & { pin: TlsPin; expected: string; actual: string; address?: string },
  ) {
    super(message, options);
    this.pin = options.pin;
    this.expected = options.expected;
    this.actual = options.actual;
    this.address = options.address;
  }
}

/** Names a connection file in pin errors. */
export interface PinSource {
  /** The connection file (path), named in errors. @default "the connection file" */
  source?: string;
  /** The file to copy afresh, e.g. `ipx-engine.json`. @default "connection file" */
  fileName?: string;
}

/**
 * A SHA-256 fingerprint in the form connection files use: 64 lowercase hex digits. Upper case and
 * `:` separators (as `openssl x509 -fingerprint -sha256` prints them) are accepted.
 *
 * @param text A fingerprint.
 * @returns The canonical form, or undefined when `text` is not a SHA-256 fingerprint.
 */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.replace(/:/g, "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

function pinAdvice(where: PinSource): string {
  return `the file may have been tampered with or be stale: copy a fresh ` +
    `${where.fileName ?? "connection file"} from the controller's profile security dir ` +
    "(`ipx controller` prints its path when it starts)";
}

/**
 * Checks a connection file's CA pin (`tlsFingerprint`) against its CA certificate (`tlsCaPem`).
 *
 * @param caPem The CA certificate(s), PEM; the pin is the first one's SHA-256.
 * @param fingerprint The pinned fingerprint.
 * @param where The connection file, for the message.
 * @throws {TlsPinError} when they do not match (or `caPem` holds no certificate).
 */
export async function checkCaFingerprint(
  caPem: string,
  fingerprint: string,
  where: PinSource = {},
): Promise<void> {
  const expected = normalizeFingerprint(fingerprint) ?? fingerprint;
  const der = pemCertificates(caPem)[0];
  const actual = der === undefined ? "" : await sha256Hex(der);
  if (actual === expected) return;
  const source = where.source ?? "the connection file";
  throw new TlsPinError(
    (der === undefined
      ? `The CA pin in ${source} ("tlsFingerprint": ${short(expected)}) has no CA ` +
        `certificate to match: "tlsCaPem" holds no PEM certificate; `
      : `The CA pin in ${source} ("tlsFingerprint": ${short(expected)}) does not match the ` +
        `CA certificate in the same file ("tlsCaPem", SHA-256 ${short(actual)}); `) +
      pinAdvice(where),
    { pin: "tlsFingerprint", expected, actual },
  );
}

/** The start of a fingerprint, enough to tell two apart in a message. */
function short(fingerprint: string): string {
  return fingerprint.length > 16 ? `${fingerprint.slice(0, 16)}…` : fingerprint || "(none)";
}

/**
 * SHA-256 of some bytes, as lowercase hex (the form connection files use).
 *
 * @param bytes Bytes to hash, e.g. a certificate's DER.
 */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)).toHex();
}

/** Decodes every `CERTIFICATE` block of a PEM string to DER. */
export function pemCertificates(pem: string): Uint8Array<ArrayBuffer>[] {
  const blocks: Uint8Array<ArrayBuffer>[] = [];
  const re = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g;
  for (const match of pem.matchAll(re)) {
    const body = (match[1] ?? "").replace(/\s+/g, "");
    try {
      blocks.push(Uint8Array.fromBase64(body));
    } catch {
      // Not valid base64: skip the block; callers report "no certificate".
    }
  }
  return blocks;
}

/**
 * Encodes DER as one PEM block: base64 in lines of 64 characters, ending with a newline.
 *
 * @param der The bytes, e.g. a certificate's or a PKCS#8 key's DER.
 * @param label The block's label, e.g. `CERTIFICATE` or `PRIVATE KEY`.
 */
export function pemBlock(der: Uint8Array, label: string): string {
  let binary = "";
  for (let i = 0; i < der.length; i += 0x8000) {
    binary += String.fromCharCode(...der.subarray(i, i + 0x8000));
  }
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
