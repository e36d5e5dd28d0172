/**
 * The controller's TLS material: a private CA per profile plus a server certificate it signs, or
 * certificates the user supplies (`--tls-cert/--tls-key/--tls-ca`).
 *
 * Validity. The CA lives {@linkcode CA_VALID_DAYS} (10 years) because clients pin it through the
 * connection file: a new CA invalidates every copied connection file. The server certificate lives
 * {@linkcode SERVER_VALID_DAYS} (825 days) and is reissued, by the same CA, on any start where it
 * is expired, within {@linkcode RENEW_BEFORE_DAYS} of expiry (or half its lifetime, if shorter),
 * or does not list a requested host. The controller rewrites its connection files at every start,
 * and engines and clients on its machine re-read them; a copy made before a reissue names the old
 * certificate (`tlsCertFingerprint`) but still connects, since the same CA signed the new one.
 *
 * Files in `securityDir`: `ca.pem`, `ca-key.pem`, `server.pem`, `server-key.pem`. Keys are PKCS#8
 * PEM, mode 0600, written to a temporary file whose mode is set before it is renamed into place.
 * A `certs.lock` file serialises concurrent starts of the same profile.
 *
 * @module
 */
import {
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate,
} from "node:crypto";
import { IpxError } from "../protocol/errors.ts";
import { issuedByAny, nameText } from "../protocol/cert_chain.ts";
import { fingerprintPem } from "../protocol/tls.ts";
import { pemBlock, pemCertificates } from "../protocol/tls_pins.ts";
import { buildCertificate, issuerParts, KEY_USAGE } from "./cert_builder.ts";
import { canonicalIp, expandHosts, type Hosts } from "./cert_hosts.ts";

/** Lifetime of a generated CA, in days. */
export const CA_VALID_DAYS = 3650;
/** Default lifetime of a generated server certificate, in days. */
export const SERVER_VALID_DAYS = 825;
/** A server certificate closer than this to expiry is reissued at start. */
export const RENEW_BEFORE_DAYS = 30;

/** Certificates and key a TLS controller serves with, and what clients pin. */
export interface TlsMaterial {
  /** PEM of the CA (bundle) clients trust; goes into the connection file. */
  caCertPem: string;
  /** Server certificate chain, PEM, leaf first. */
  certPem: string;
  /** Server private key, PEM. */
  keyPem: string;
  /** SHA-256 of the (first) CA certificate's DER, lowercase hex without colons. */
  caFingerprint: string;
  /** What this call created (absent for user-supplied material). A new CA breaks old connection files. */
  generated?: { ca: boolean; server: boolean };
}

/** Options of {@linkcode ensureCertificates}. */
export interface EnsureCertificatesOptions {
  /** The profile's security directory (created 0700 if missing). */
  securityDir: string;
  /**
   * Every IP or host name the controller listens on, plus `--location`. `0.0.0.0` or `::` stands
   * for every local interface address and the host name. `127.0.0.1`, `::1` and `localhost` are
   * always included.
   */
  hosts: string[];
  /** Clock used for validity (tests). */
  now?: Date;
  /** Server certificate lifetime in days; default {@linkcode SERVER_VALID_DAYS}. */
  validDays?: number;
}

/** Certificate files are missing, unreadable, invalid or inconsistent. */
export class CertificateError extends IpxError {}

const DAY_MS = 86_400_000;
const EC = { name: "ECDSA", namedCurve: "P-256" } as const;

interface Pair {
  cert: X509Certificate;
  /** The certificate's DER. */
  der: Uint8Array<ArrayBuffer>;
  certPem: string;
  key: CryptoKey;
  keyPem: string;
}

/**
 * Returns the profile's CA and server certificate, creating or reissuing them as needed (see the
 * module documentation for the rules). Idempotent: a second call with the same hosts changes
 * nothing on disk.
 *
 * @throws {CertificateError} when existing files are partial or corrupt.
 */
export async function ensureCertificates(options: EnsureCertificatesOptions): Promise<TlsMaterial> {
  const dir = options.securityDir;
  const now = options.now ?? new Date();
  const hosts = expandHosts(options.hosts, localAddresses);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  return await withLock(`${dir}/certs.lock`, async () => {
    const oldCa = await loadPair(dir, "ca.pem", "ca-key.pem");
    const ca = oldCa !== undefined && fresh(oldCa.cert, now)
      ? oldCa
      : await issue(now, CA_VALID_DAYS);
    if (ca !== oldCa) {
      await writeAtomic(`${dir}/ca-key.pem`, ca.keyPem, 0o600);
      await writeAtomic(`${dir}/ca.pem`, ca.certPem, 0o644);
    }
    const oldServer = ca === oldCa
      ? await loadPair(dir, "server.pem", "server-key.pem")
      : undefined;
    const server = oldServer !== undefined && serverUsable(oldServer, ca, hosts, now)
      ? oldServer
      : await issue(now, options.validDays ?? SERVER_VALID_DAYS, ca, hosts);
    if (server !== oldServer) {
      await writeAtomic(`${dir}/server-key.pem`, server.keyPem, 0o600);
      await writeAtomic(`${dir}/server.pem`, server.certPem, 0o644);
    }
    return {
      caCertPem: ca.certPem,
      certPem: server.certPem,
      keyPem: server.keyPem,
      caFingerprint: await fingerprintPem(ca.certPem),
      generated: { ca: ca !== oldCa, server: server !== oldServer },
    };
  });
}

/**
 * Loads user-supplied certificates (`--tls-cert`, `--tls-key`, optional `--tls-ca`). Clients pin
 * the CA file plus any intermediates of the chain; without `--tls-ca` they pin the chain's
 * intermediates, or the certificate itself when it stands alone and is self-signed (CA:FALSE).
 *
 * @throws {CertificateError} naming the file and option when a file is missing, unreadable, not
 *   PEM, encrypted, expired, or when the key or CA does not match the certificate.
 */
export async function loadUserCertificates(
  paths: { cert: string; key: string; ca?: string },
): Promise<TlsMaterial> {
  const certPem = await readText(paths.cert, "--tls-cert") ?? "";
  const chain = pemCertificates(certPem);
  const leafDer = chain[0];
  if (leafDer === undefined) {
    throw new CertificateError(
      `--tls-cert ${paths.cert} contains no PEM certificate (-----BEGIN CERTIFICATE-----); ` +
        `pass the server certificate in PEM format`,
    );
  }
  const leaf = parseCertificate(leafDer, `--tls-cert ${paths.cert}`);
  const keyPem = await readText(paths.key, "--tls-key") ?? "";
  const keyType = /-----BEGIN ([A-Z ]*PRIVATE KEY)-----/.exec(keyPem)?.[1];
  if (keyType === "ENCRYPTED PRIVATE KEY") {
    throw new CertificateError(
      `--tls-key ${paths.key} is encrypted; decrypt it first ` +
        `(openssl pkcs8 -in ${paths.key} -out key.pem) and keep the result mode 0600`,
    );
  }
  if (
    keyType === undefined || !["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"].includes(keyType)
  ) {
    throw new CertificateError(
      `--tls-key ${paths.key} contains no PEM private key (-----BEGIN PRIVATE KEY-----); ` +
        `pass the key in PEM format (PKCS#8, SEC1 or PKCS#1)`,
    );
  }
  checkKeyPair(keyPem, leafDer, paths);
  if (leaf.validToDate.getTime() <= Date.now()) {
    throw new CertificateError(
      `--tls-cert ${paths.cert} expired on ${leaf.validToDate.toISOString()}; renew the certificate`,
    );
  }
  if (leaf.ca) {
    throw new CertificateError(
      `--tls-cert ${paths.cert} is a CA certificate, which TLS clients refuse as a server ` +
        `certificate; issue a server certificate (CA:FALSE) from it, or omit --tls-cert`,
    );
  }
  let bundle = chain.slice(1).map(toPem).join("");
  if (paths.ca !== undefined) {
    const cas = pemCertificates(await readText(paths.ca, "--tls-ca") ?? "");
    if (cas.length === 0) {
      throw new CertificateError(
        `--tls-ca ${paths.ca} contains no PEM certificate (-----BEGIN CERTIFICATE-----); ` +
          `pass the CA certificate in PEM format`,
      );
    }
    cas.forEach((der) => parseCertificate(der, `--tls-ca ${paths.ca}`));
    bundle = cas.map(toPem).join("") + bundle;
  } else if (bundle === "") {
    if (leaf.issuer !== leaf.subject) {
      throw new CertificateError(
        `--tls-cert ${paths.cert} was issued by "${nameText(leaf.issuer)}", which clients ` +
          `cannot verify without it; pass that CA with --tls-ca (or append it to --tls-cert)`,
      );
    }
    bundle = toPem(leafDer); // self-signed: clients pin the certificate itself
  }
  if (!issuedByAny(leafDer, bundle)) {
    const by = paths.ca === undefined
      ? "the next certificate in its chain"
      : `the CA in --tls-ca ${paths.ca}`;
    throw new CertificateError(
      `--tls-cert ${paths.cert} is not signed by ${by}; pass the CA that issued it ` +
        `(and put intermediates after the certificate in --tls-cert)`,
    );
  }
  return { caCertPem: bundle, certPem, keyPem, caFingerprint: await fingerprintPem(bundle) };
}

/**
 * Refuses a `--tls-key` that is not the private key of the `--tls-cert` leaf, in any format
 * (PKCS#8, SEC1, PKCS#1) and for any key type: TLS would start, then fail every handshake with
 * an obscure error.
 *
 * @throws {CertificateError} naming both files.
 */
function checkKeyPair(
  keyPem: string,
  leafDer: Uint8Array<ArrayBuffer>,
  paths: { cert: string; key: string },
): void {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    throw new CertificateError(
      `--tls-key ${paths.key} holds no usable private key (${(error as Error).message}); ` +
        `pass the key in PEM format (PKCS#8, SEC1 or PKCS#1)`,
      { cause: error },
    );
  }
  let cause: unknown;
  try {
    if (new X509Certificate(leafDer).checkPrivateKey(key)) return;
  } catch (error) {
    cause = error; // e.g. a key type the certificate cannot have: not its key either
  }
  throw new CertificateError(
    `--tls-key ${paths.key} does not match the certificate in --tls-cert ${paths.cert}: it is ` +
      `not the private key that certificate was issued for, so every TLS handshake would fail; ` +
      `pass the matching key (or omit --tls-cert, --tls-key and --tls-ca to use the ` +
      `controller's generated certificate)`,
    cause === undefined ? {} : { cause },
  );
}

/** Every address of this machine plus its host name, for wildcard listen addresses. */
function localAddresses(): string[] {
  try {
    return [...Deno.networkInterfaces().map((nic) => nic.address), Deno.hostname()];
  } catch (error) {
    const why = `Cannot list this machine's addresses to cover a wildcard listen address in the ` +
      `certificate (${(error as Error).message})`;
    throw new CertificateError(`${why}; grant --allow-sys or listen on explicit addresses`, {
      cause: error,
    });
  }
}

function fresh(cert: X509Certificate, now: Date): boolean {
  const notBefore = cert.validFromDate.getTime();
  const notAfter = cert.validToDate.getTime();
  const window = Math.min(RENEW_BEFORE_DAYS * DAY_MS, (notAfter - notBefore) / 2);
  return notBefore <= now.getTime() && notAfter - now.getTime() > window;
}

function serverUsable(server: Pair, ca: Pair, hosts: Hosts, now: Date): boolean {
  if (!fresh(server.cert, now)) return false;
  if (!issuedByAny(server.der, ca.certPem)) return false;
  if (!keyMatches(server.keyPem, server.cert)) return false;
  const have = new Set(altNames(server.cert));
  return [...hosts.ips].every((ip) => have.has(`ip:${ip}`)) &&
    [...hosts.names].every((name) => have.has(`dns:${name}`));
}

/**
 * A certificate's subject alternative names as `ip:<canonical IP>` and `dns:<lower-case name>`
 * (other kinds as node:crypto names them), from node:crypto's text form (`IP Address:1.2.3.4,
 * DNS:a.example`).
 */
export function altNames(cert: X509Certificate): string[] {
  const text = cert.subjectAltName;
  if (text === undefined) return [];
  return text.split(", ").map((entry) => {
    const colon = entry.indexOf(":");
    const kind = entry.slice(0, colon);
    const value = entry.slice(colon + 1);
    if (kind === "IP Address") return `ip:${canonicalIp(value) ?? value}`;
    if (kind === "DNS") return `dns:${value.toLowerCase()}`;
    return `${kind}:${value}`;
  });
}

/** Issues a fresh ECDSA P-256 certificate: self-signed CA when `ca` is undefined, else a server leaf. */
async function issue(now: Date, days: number, ca?: Pair, hosts?: Hosts): Promise<Pair> {
  const keys = await newKeyPair();
  const notBefore = new Date(now.getTime() - 3_600_000); // tolerate an hour of clock skew
  const notAfter = new Date(
    Math.min(now.getTime() + days * DAY_MS, ca?.cert.validToDate.getTime() ?? Infinity),
  );
  const serial = randomSerial();
  const der = ca === undefined
    ? await buildCertificate({
      serial,
      subject: {
        commonName: `ipx private CA ${randomSerial().toHex().slice(0, 8)}`,
        organization: "ipx",
      },
      keys,
      notBefore,
      notAfter,
      caPathLength: 0,
      keyUsage: [KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign],
    })
    : await buildCertificate({
      serial,
      subject: { commonName: "ipx controller", organization: "ipx" },
      issuer: { ...issuerParts(ca.der), privateKey: ca.key },
      keys,
      notBefore,
      notAfter,
      keyUsage: [KEY_USAGE.digitalSignature],
      serverAuth: true,
      altNames: { ips: hosts?.ips ?? [], names: hosts?.names ?? [] },
    });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return {
    cert: new X509Certificate(der),
    der,
    certPem: pemBlock(der, "CERTIFICATE"),
    key: keys.privateKey,
    keyPem: pemBlock(pkcs8, "PRIVATE KEY"),
  };
}

/**
 * A new P-256 key pair, made by node:crypto and imported into WebCrypto (which signs with it):
 * WebCrypto's own first ECDSA `generateKey` in a process costs ~40 ms of CPU here (node:crypto's
 * ~1 ms), and a new profile's controller makes two before it can listen.
 */
async function newKeyPair(): Promise<CryptoKeyPair> {
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pkcs8 = new Uint8Array(pair.privateKey.export({ format: "der", type: "pkcs8" }));
  const spki = new Uint8Array(pair.publicKey.export({ format: "der", type: "spki" }));
  return {
    privateKey: await crypto.subtle.importKey("pkcs8", pkcs8, EC, true, ["sign"]),
    publicKey: await crypto.subtle.importKey("spki", spki, EC, true, ["verify"]),
  };
}

/** Loads a certificate + PKCS#8 key pair; undefined when both files are absent. */
async function loadPair(dir: string, certName: string, keyName: string): Promise<Pair | undefined> {
  const certPem = await readText(`${dir}/${certName}`);
  const keyPem = await readText(`${dir}/${keyName}`);
  if (certPem === undefined && keyPem === undefined) return undefined;
  const restore = `restore it, or delete both ${certName} and ${keyName} in ${dir} to create new ` +
    (certName === "ca.pem" ? "ones (copied connection files will then stop working)" : "ones");
  if (certPem === undefined || keyPem === undefined) {
    const missing = certPem === undefined ? certName : keyName;
    throw new CertificateError(`${dir}/${missing} is missing; ${restore}`);
  }
  const der = pemCertificates(certPem)[0];
  const keyDer = pkcs8Der(keyPem);
  try {
    if (der === undefined || keyDer === undefined) throw new Error("no PEM block found");
    const cert = new X509Certificate(der);
    const key = await crypto.subtle.importKey("pkcs8", keyDer, EC, true, ["sign"]);
    return { cert, der, certPem, key, keyPem };
  } catch (error) {
    throw new CertificateError(`${dir}/${certName} or ${keyName} is not valid PEM; ${restore}`, {
      cause: error,
    });
  }
}

/** True if the private key in `keyPem` belongs to the certificate. */
function keyMatches(keyPem: string, cert: X509Certificate): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

function parseCertificate(der: Uint8Array<ArrayBuffer>, what: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    const why = `${what} holds a PEM block that is not a valid X.509 certificate`;
    throw new CertificateError(`${why}; pass a PEM certificate`, { cause: error });
  }
}

/** Reads a text file; a missing file is `undefined` unless `option` names the CLI flag it came from. */
async function readText(path: string, option?: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const { NotFound, PermissionDenied } = Deno.errors;
    if (option === undefined && error instanceof NotFound) return undefined;
    const why = error instanceof NotFound
      ? "does not exist"
      : error instanceof PermissionDenied
      ? "cannot be read (permission denied)"
      : `cannot be read (${(error as Error).message})`;
    throw new CertificateError(
      option === undefined
        ? `${path} ${why}; fix the file's permissions`
        : `${option} ${path} ${why}; check the path given to ${option}`,
      { cause: error },
    );
  }
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${randomSerial().toHex().slice(0, 12)}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text, { createNew: true, mode });
    if (Deno.build.os !== "windows") await Deno.chmod(tmp, mode);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    const why = `Cannot write ${path} (${(error as Error).message})`;
    throw new CertificateError(`${why}; check the directory's permissions`, { cause: error });
  }
}

/** Runs `fn` holding an exclusive lock file; a lock older than 30 s is considered stale. */
async function withLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  const giveUp = Date.now() + 15_000;
  for (;;) {
    try {
      (await Deno.open(lockPath, { createNew: true, write: true, mode: 0o600 })).close();
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      const mtime = (await Deno.stat(lockPath).catch(() => null))?.mtime?.getTime() ?? 0;
      const age = Date.now() - mtime;
      if (age > 30_000) await Deno.remove(lockPath).catch(() => {});
      else if (Date.now() > giveUp) {
        const why = `Another ipx process holds ${lockPath} while creating certificates`;
        throw new CertificateError(`${why}; if none is running, delete the file`);
      } else await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(lockPath).catch(() => {});
  }
}

function toPem(der: Uint8Array<ArrayBuffer>): string {
  return pemBlock(der, "CERTIFICATE");
}

/** DER of the PKCS#8 `PRIVATE KEY` block in `pem`, if any. */
function pkcs8Der(pem: string): Uint8Array<ArrayBuffer> | undefined {
  const body = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(pem)
    ?.[1];
  try {
    return body === undefined ? undefined : Uint8Array.fromBase64(body.replace(/\s+/g, ""));
  } catch {
    return undefined;
  }
}

/** A positive 128-bit serial (top bit cleared so DER needs no sign byte; never zero). */
function randomSerial(): Uint8Array<ArrayBuffer> {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes;
}
