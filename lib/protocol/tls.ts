/**
 * TLS helpers for the transports: a client connect that trusts only the CA from the connection
 * file, a listener, a handshake bounded by a deadline, and certificate fingerprints.
 *
 * Trust model. `Deno.connectTls`/`Deno.startTls` add `caCerts` *to* Deno's default root store
 * (Mozilla roots); there is no public option to drop it. {@linkcode connectTlsPinned} therefore
 * checks, after the handshake, that the leaf certificate the server presented is one of the pinned
 * certificates or is signed by one of them, so a certificate from a public CA for the same name is
 * refused. That check reads the leaf through Deno's internal `getPeerCertificate` hook on
 * `Deno.TlsConn` (present in Deno 2.x, used by `node:tls`); {@linkcode peerLeafCertificate}
 * returns undefined if it does not exist, and a test fails loudly if a Deno upgrade removes it.
 *
 * Pins. The connection file's CA is the pin: the controller must present a certificate it
 * signed. Its certificate fingerprint names the certificate the controller had when the file was
 * written: a match skips parsing, and a certificate the controller reissued since is accepted
 * because the same CA signed it. The CA pin check itself, its error and the fingerprints are in
 * `tls_pins.ts`.
 *
 * @module
 */
import { ConnectionError } from "./errors.ts";
import { normalizeFingerprint, pemCertificates, type PinSource, sha256Hex } from "./tls_pins.ts";

/** Default bound on TCP connect plus TLS handshake, in milliseconds. */
export const DEFAULT_TLS_TIMEOUT_MS = 5000;

/** Why a TLS connection failed; lets callers react without parsing messages. */
export type TlsFailureReason =
  | "unknown_ca"
  | "expired"
  | "not_yet_valid"
  | "name_mismatch"
  | "not_tls"
  | "closed"
  | "timeout"
  | "bad_certificate"
  | "other";

/** A TLS handshake, certificate check or TLS setup failed. */
export class TlsError extends ConnectionError {
  /** Machine-readable failure category. */
  readonly reason: TlsFailureReason;
  /**
   * @param message What happened and what to do about it.
   * @param options `reason`, the `address` tried, and `cause`.
   */
  constructor(
    message: string,
    options: ErrorOptions & { reason: TlsFailureReason; address?: string },
  ) {
    super(message, options);
    this.reason = options.reason;
  }
}

/** Options of {@linkcode connectTlsPinned}. */
export interface ConnectTlsPinnedOptions {
  /** Host name or IP literal of the controller (IPv6 with or without brackets). */
  hostname: string;
  /** TCP port. */
  port: number;
  /** PEM of the CA (or CA bundle) to trust; nothing else is trusted. */
  caPem: string;
  /**
   * SHA-256 fingerprint of the certificate the controller had when the connection file was
   * written (`tlsCertFingerprint`): that certificate is accepted without parsing it; any other
   * one must be signed by the CA (a reissue).
   */
  leafFingerprint?: string;
  /** The connection file, named in errors. */
  pinSource?: PinSource;
  /** Name to verify the certificate against, when it differs from `hostname`. */
  serverName?: string;
  /** Bound on TCP connect plus handshake in ms; default {@linkcode DEFAULT_TLS_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Aborts the attempt early. */
  signal?: AbortSignal;
}

/**
 * Opens a TCP connection, upgrades it to TLS trusting only `caPem`, completes the handshake within
 * the timeout, and checks the server certificate against the pinned CA.
 *
 * @throws {TlsError} for every TLS-level failure (unknown CA, expiry, name mismatch, non-TLS peer,
 *   timeout; a certificate the pinned CA did not sign is `unknown_ca`),
 *   {@linkcode ConnectionError} when the TCP connection itself fails.
 */
export async function connectTlsPinned(options: ConnectTlsPinnedOptions): Promise<Deno.TlsConn> {
  const hostname = stripBrackets(options.hostname);
  const serverName = stripBrackets(options.serverName ?? options.hostname);
  const address = formatAddress(hostname, options.port);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TLS_TIMEOUT_MS;
  const deadline = new AbortController();
  const timer = setTimeout(() => {
    deadline.abort(
      new TlsError(
        `TLS connection to ${address} did not complete within ${timeoutMs} ms; check that the ` +
          `address in the connection file is the controller's TLS port and that it is reachable`,
        { reason: "timeout", address },
      ),
    );
  }, timeoutMs);
  const onAbort = () => deadline.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    let tcp: Deno.TcpConn;
    try {
      tcp = await Deno.connect({ hostname, port: options.port, signal: deadline.signal });
    } catch (error) {
      if (deadline.signal.aborted) throw deadline.signal.reason;
      throw new ConnectionError(
        `Could not connect to ${address}: ${messageOf(error)}; check that the controller is ` +
          `running and that the connection file is current`,
        { cause: error, address },
      );
    }
    tcp.setNoDelay(true); // frames are small and latency-bound; survives the TLS upgrade
    let conn: Deno.TlsConn;
    try {
      conn = await Deno.startTls(tcp, { hostname: serverName, caCerts: [options.caPem] });
    } catch (error) {
      closeQuietly(tcp);
      throw classifyTlsError(error, { address, serverName, role: "client" });
    }
    await completeHandshake(conn, { signal: deadline.signal, address, serverName });
    try {
      await verifyPinnedPeer(conn, options.caPem, address, options);
    } catch (error) {
      closeQuietly(conn);
      throw error;
    }
    return conn;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/** Options of {@linkcode completeHandshake}. */
export interface CompleteHandshakeOptions {
  /** Bound in ms (ignored when `signal` is given); default {@linkcode DEFAULT_TLS_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Aborting it closes the connection and fails the handshake with the abort reason. */
  signal?: AbortSignal;
  /** `host:port` of the peer, for messages. */
  address?: string;
  /** The name the client verifies (client side only), for messages. */
  serverName?: string;
  /** Which side we are; changes the advice in messages. Default `"client"`. */
  role?: "client" | "server";
}

/**
 * Runs the TLS handshake to completion within a deadline. On failure the connection is closed and
 * a {@linkcode TlsError} is thrown. Servers call this right after `accept()` so a plain-TCP or
 * silent peer cannot hold a socket open (pre-auth deadline).
 */
export async function completeHandshake(
  conn: Deno.TlsConn,
  options: CompleteHandshakeOptions = {},
): Promise<void> {
  const address = options.address ?? describeRemote(conn);
  const role = options.role ?? "client";
  let signal = options.signal;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (signal === undefined) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TLS_TIMEOUT_MS;
    const controller = new AbortController();
    timer = setTimeout(() => {
      controller.abort(
        new TlsError(
          `TLS handshake with ${address} did not complete within ${timeoutMs} ms; ` +
            (role === "client"
              ? "the peer is probably not an ipx TLS endpoint: check the port in the connection file"
              : "the peer is probably not an ipx client using TLS"),
          { reason: "timeout", address },
        ),
      );
    }, timeoutMs);
    signal = controller.signal;
  }
  const onAbort = () => closeQuietly(conn);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal.aborted) throw signal.reason;
    await conn.handshake();
  } catch (error) {
    closeQuietly(conn);
    if (signal.aborted) throw signal.reason;
    throw classifyTlsError(error, { address, serverName: options.serverName, role });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

/** Options of {@linkcode listenTls}. */
export interface ListenTlsOptions {
  /** Interface to bind, e.g. `127.0.0.1` or `0.0.0.0`. */
  hostname: string;
  /** Port to bind; 0 picks a free one (read it from `listener.addr.port`). */
  port: number;
  /** Server certificate chain, PEM (leaf first). */
  certPem: string;
  /** Private key, PEM (PKCS#8, SEC1 or PKCS#1). */
  keyPem: string;
}

/**
 * Binds a TLS listener. Callers should run {@linkcode completeHandshake} with `role: "server"`
 * on every accepted connection before reading frames.
 *
 * @throws {TlsError} when the certificate or key is rejected; other bind errors pass through.
 */
export function listenTls(options: ListenTlsOptions): Deno.TlsListener {
  try {
    return Deno.listenTls({
      hostname: stripBrackets(options.hostname),
      port: options.port,
      cert: options.certPem,
      key: options.keyPem,
    });
  } catch (error) {
    const { AddrInUse, AddrNotAvailable, PermissionDenied } = Deno.errors;
    if ([AddrInUse, AddrNotAvailable, PermissionDenied].some((c) => error instanceof c)) {
      throw error;
    }
    throw new TlsError(
      `Could not start the TLS listener on ${formatAddress(options.hostname, options.port)}: ` +
        `${messageOf(error)}; check that the certificate and key are PEM and belong together`,
      { cause: error, reason: "bad_certificate" },
    );
  }
}

/**
 * SHA-256 fingerprint of the first certificate in `pem`, as lowercase hex without colons.
 *
 * @throws {TlsError} when `pem` holds no certificate.
 */
export async function fingerprintPem(pem: string): Promise<string> {
  const der = pemCertificates(pem)[0];
  if (der === undefined) {
    throw new TlsError(
      "No PEM certificate found (expected a -----BEGIN CERTIFICATE----- block); pass a PEM file",
      { reason: "bad_certificate" },
    );
  }
  return await sha256Hex(der);
}

/** Reads the DER of the leaf certificate the peer presented, if Deno exposes it. */
export function peerLeafCertificate(conn: Deno.TlsConn): Uint8Array<ArrayBuffer> | undefined {
  const symbol = peerCertificateSymbol(conn);
  if (symbol === undefined) return undefined;
  const getter = (conn as unknown as Record<symbol, unknown>)[symbol];
  if (typeof getter !== "function") return undefined;
  const peer = getter.call(conn, false) as { raw?: Uint8Array } | null | undefined;
  return peer?.raw ? new Uint8Array(peer.raw) : undefined;
}

/**
 * Checks the certificate the controller presented: it must be the one the file names or be
 * signed by the pinned CA (else `unknown_ca`). A certificate matching the file's certificate
 * fingerprint needs no parsing; another one from the same CA is a reissue, and is accepted.
 */
async function verifyPinnedPeer(
  conn: Deno.TlsConn,
  caPem: string,
  address: string,
  options: Pick<ConnectTlsPinnedOptions, "leafFingerprint" | "pinSource">,
) {
  const leafDer = peerLeafCertificate(conn);
  if (leafDer === undefined) return; // rustls already verified the chain; see module docs.
  const expected = options.leafFingerprint === undefined
    ? undefined
    : normalizeFingerprint(options.leafFingerprint) ?? options.leafFingerprint;
  const actual = expected === undefined ? undefined : await sha256Hex(leafDer);
  if (actual !== undefined && actual === expected) return; // the pinned certificate itself
  let issuer = "?";
  try {
    // parsing certificates needs node:crypto, loaded only here (see cert_chain.ts)
    const chain = await import("./cert_chain.ts");
    if (chain.issuedByAny(leafDer, caPem)) return; // a reissue by the same CA
    issuer = chain.issuerName(leafDer);
  } catch (error) {
    throw new TlsError(
      `The controller's certificate at ${address} cannot be parsed (${messageOf(error)}); ` +
        `check that the address is an ipx controller`,
      { cause: error, reason: "bad_certificate", address },
    );
  }
  throw new TlsError(
    `The controller's certificate at ${address} (issued by "${issuer}") is not signed by the CA ` +
      `in the connection file; copy a fresh connection file from the controller`,
    { reason: "unknown_ca", address },
  );
}

let hookSymbol: symbol | undefined;

/** `Deno.TlsConn` is not a global value, so learn the hook from a live connection's prototype. */
function peerCertificateSymbol(conn: Deno.TlsConn): symbol | undefined {
  let proto: object | null = Object.getPrototypeOf(conn);
  while (hookSymbol === undefined && proto !== null) {
    hookSymbol = Object.getOwnPropertySymbols(proto).find((s) =>
      s.description === "getPeerCertificate"
    );
    proto = Object.getPrototypeOf(proto);
  }
  return hookSymbol;
}

/** Client-side failure patterns (rustls messages as Deno reports them), first match wins. */
const CLIENT_RULES: [RegExp, TlsFailureReason, string][] = [
  [
    /UnknownIssuer|UnknownCA/i,
    "unknown_ca",
    "the controller's certificate is not signed by the CA in the connection file; " +
    "copy a fresh connection file from the controller",
  ],
  [
    /expired|not valid after/i,
    "expired",
    "the controller's certificate has expired; restart the controller so it renews its " +
    "certificate (or renew --tls-cert), and check this machine's clock",
  ],
  [
    /NotValidYet|not valid before/i,
    "not_yet_valid",
    "the controller's certificate is not valid yet; check the clocks on both machines",
  ],
  [
    /not valid for name|NotValidForName/i,
    "name_mismatch",
    "the controller's certificate does not list the name or IP used to connect ({name}); " +
    "connect with one it covers, or restart the controller with --location set to this address",
  ],
  [
    /corrupt message|InvalidContentType|wrong version|HandshakePayload/i,
    "not_tls",
    "the peer did not answer with TLS: it is probably an ipx controller started with --no-tls " +
    "(plain TCP) while the connection file says TLS, so copy a fresh connection file from the " +
    "controller's security dir; or another service listens on that port",
  ],
  [
    /end of file|eof|reset|broken pipe|close_notify|peer closed/i,
    "closed",
    "the peer closed the connection during the handshake: on a slow or lossy network the " +
    "controller's deadline for a new connection may have passed (it retries by itself), the " +
    "controller may have refused this client (see its log), or it may not speak TLS (an ipx " +
    "controller started with --no-tls: copy a fresh connection file from its security dir)",
  ],
  [/certificate|BadSignature/i, "bad_certificate", "the controller's certificate was rejected"],
];

/** Server-side failure patterns. */
const SERVER_RULES: [RegExp, TlsFailureReason, string][] = [
  [
    /corrupt message|InvalidContentType|HandshakePayload/i,
    "not_tls",
    "the peer did not speak TLS; it is probably a plain-TCP client",
  ],
  [
    /end of file|eof|reset|broken pipe/i,
    "closed",
    "the peer closed the connection during the handshake",
  ],
];

function classifyTlsError(
  error: unknown,
  context: { address: string; serverName?: string; role: "client" | "server" },
): TlsError {
  const detail = messageOf(error);
  const rules = context.role === "client" ? CLIENT_RULES : SERVER_RULES;
  const [, reason, advice] = rules.find(([re]) => re.test(detail)) ??
    [
      /./,
      "other",
      context.role === "client"
        ? "check the address and that the controller runs with TLS"
        : "the peer rejected our certificate or does not speak TLS 1.2+",
    ];
  return new TlsError(
    `TLS handshake with ${context.address} failed (${detail}): ` +
      advice.replace("{name}", `"${context.serverName ?? "?"}"`),
    { cause: error, reason, address: context.address },
  );
}

function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function formatAddress(hostname: string, port: number): string {
  const host = stripBrackets(hostname);
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function describeRemote(conn: Deno.Conn): string {
  try {
    const addr = conn.remoteAddr as Deno.NetAddr;
    return formatAddress(addr.hostname, addr.port);
  } catch {
    return "peer";
  }
}

function closeQuietly(conn: Deno.Conn) {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
