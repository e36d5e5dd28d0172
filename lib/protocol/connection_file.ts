/**
 * The two connection files a controller writes into its profile's `security/` directory
 * (`ipx-client.json` for clients, `ipx-engine.json` for engines): their schema, validation and
 * file IO. Files are written atomically with mode 0600 because they carry the shared key.
 *
 * @module
 */

import { ConnectionError } from "./errors.ts";
import { normalizeFingerprint, pemCertificates } from "./tls_pins.ts";
import { writeFileAtomic } from "./write_file_atomic.ts";

/** Everything a client or engine needs to reach and authenticate to a controller. */
export interface ConnectionInfo {
  /** Who the file is for. */
  role: "client" | "engine";
  /** The ipx version of the controller that wrote the file. */
  ipxVersion: string;
  /** The wire protocol version the controller speaks. */
  protocolVersion: number;
  /** How to connect. */
  transport: "tcp" | "tls";
  /** Where to connect (the controller's `--location` or `--ip`). */
  host: string;
  /** The port to connect to. */
  port: number;
  /** Every `host:port` the controller listens on. */
  addresses: string[];
  /** Hostname of the controller machine. */
  location: string;
  /** Base64 of the 32-byte shared secret. */
  key: string;
  /**
   * PEM of the CA that signed the controller's certificate; required when `transport` is `tls`
   * (a fingerprint alone cannot be pinned).
   */
  tlsCaPem?: string;
  /**
   * SHA-256 fingerprint (64 lowercase hex digits) of the first certificate in `tlsCaPem`;
   * optional. When present, a file whose CA does not match it is refused (`dial`).
   */
  tlsFingerprint?: string;
  /**
   * SHA-256 fingerprint of the controller's own certificate; optional. When present, the
   * controller must present exactly that certificate (`connectTlsPinned`), else the connection
   * is refused; without it any certificate the CA signed is accepted.
   */
  tlsCertFingerprint?: string;
  /**
   * Unix socket of the controller (in its owner-only security directory). Engines and clients
   * on the controller's machine connect through it and fall back to `host:port` when it cannot
   * be reached (another machine, no permission, a stale file). Absent with `--no-ipc`.
   */
  ipcPath?: string;
  /** Name of the profile the controller runs in. */
  profile: string;
  /** Process id of the controller. */
  controllerPid: number;
  /** When the file was written (ISO 8601). */
  createdAt: string;
}

/** Why a connection file could not be used. */
export type ConnectionFileProblem =
  | "missing"
  | "unreadable"
  | "invalid-json"
  | "invalid-fields"
  | "timeout"
  | "write-failed";

/**
 * A connection file is missing, unreadable, malformed, or did not appear in time: the most
 * common reason a connection cannot be made (no controller running for the profile), so it is a
 * {@linkcode ConnectionError}.
 */
export class ConnectionFileError extends ConnectionError {
  /** The connection file concerned. */
  readonly path: string;
  /** What went wrong. */
  readonly problem: ConnectionFileProblem;
  /**
   * For a file that exists but cannot be used (`invalid-json`, `invalid-fields`): what is wrong
   * with its contents, without the path or advice (e.g. `it is not valid JSON (…)`).
   */
  readonly detail: string | undefined;
  /**
   * @param message What happened and what to do about it.
   * @param options The file, the kind of problem, what is wrong with it, and the `cause`.
   */
  constructor(
    message: string,
    options: ErrorOptions & { path: string; problem: ConnectionFileProblem; detail?: string },
  ) {
    super(message, { cause: options.cause });
    this.path = options.path;
    this.problem = options.problem;
    this.detail = options.detail;
  }
}

/** Options for {@linkcode waitForConnectionFile}. */
export interface WaitForConnectionFileOptions {
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  /** Stops waiting early; the promise then rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * Called when the first attempt finds no usable file and waiting begins, and again whenever
   * the kind of problem changes (say, from a missing file to one that is not valid JSON), with
   * the latest attempt's error.
   */
  onWaiting?: (problem: ConnectionFileError) => void;
  /**
   * Milliseconds between attempts.
   * @default {100}
   */
  intervalMs?: number;
  /**
   * How to wait longer, for the timeout's message (a command names its flag).
   * @default "allow a longer timeout"
   */
  longerWait?: string;
}

const KEY_BYTES = 32;
const HINT_FIX = "copy a fresh one from the controller's profile security dir (`ipx controller` " +
  "prints its path when it starts), restart the controller to rewrite it, or pass --file " +
  "(the library: `file`) with a valid connection file";

/**
 * Reads and validates a connection file.
 *
 * @param path The file to read.
 * @returns The validated connection info (unknown extra fields are dropped).
 * @throws {ConnectionFileError} when the file is missing, unreadable, not JSON, or has missing
 * or invalid fields; `problem` says which.
 * @example Usage
 * ```ts ignore
 * const info = await readConnectionFile("/home/me/.ipx/profile_default/security/ipx-client.json");
 * console.log(`${info.host}:${info.port}`);
 * ```
 */
export async function readConnectionFile(path: string): Promise<ConnectionInfo> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ConnectionFileError(
        `Cannot read connection file ${path}: it does not exist. Is a controller running for ` +
          "this profile? Start one with `ipx controller`, or pass --file (the library: `file`) " +
          "with the path of the controller's connection file",
        { path, problem: "missing", cause: error },
      );
    }
    throw new ConnectionFileError(
      `Cannot read connection file ${path}: ${errorText(error)}; check that it is a file ` +
        "readable by this user, or pass --file (the library: `file`) with another connection file",
      { path, problem: "unreadable", cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = `it is not valid JSON (${errorText(error)})`;
    throw new ConnectionFileError(
      `Cannot use connection file ${path}: ${detail}; ${HINT_FIX}`,
      { path, problem: "invalid-json", detail, cause: error },
    );
  }
  return parseConnectionInfo(value, path);
}

/**
 * Validates a parsed connection file (or an equivalent JSON value from elsewhere, such as an
 * environment variable).
 *
 * @param value The parsed JSON.
 * @param source Names where the value came from, for error messages.
 * @returns The connection info with only the known fields.
 * @throws {ConnectionFileError} with problem `invalid-fields`, listing every bad field.
 */
export function parseConnectionInfo(value: unknown, source: string): ConnectionInfo {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const detail = `expected a JSON object, got ${describe(value)}`;
    throw new ConnectionFileError(
      `Cannot use connection file ${source}: ${detail}; ${HINT_FIX}`,
      { path: source, problem: "invalid-fields", detail },
    );
  }
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  function check(field: string, ok: boolean, expected: string): void {
    if (!ok) problems.push(`"${field}" must be ${expected} (got ${describe(v[field])})`);
  }
  check("role", v.role === "client" || v.role === "engine", `"client" or "engine"`);
  check("ipxVersion", isNonEmptyString(v.ipxVersion), "a non-empty string");
  check("protocolVersion", isIntegerIn(v.protocolVersion, 1), "a positive integer");
  check("transport", v.transport === "tcp" || v.transport === "tls", `"tcp" or "tls"`);
  check("host", isNonEmptyString(v.host), "a non-empty string");
  check("port", isIntegerIn(v.port, 1, 65535), "an integer from 1 to 65535");
  check(
    "addresses",
    Array.isArray(v.addresses) && v.addresses.every(isHostPort),
    `an array of "host:port" strings`,
  );
  check("location", isNonEmptyString(v.location), "a non-empty string");
  check("key", isKey(v.key), `base64 of ${KEY_BYTES} bytes`);
  check(
    "tlsCaPem",
    v.tlsCaPem === undefined ||
      (typeof v.tlsCaPem === "string" && pemCertificates(v.tlsCaPem).length > 0),
    "a PEM certificate (-----BEGIN CERTIFICATE-----)",
  );
  for (const field of ["tlsFingerprint", "tlsCertFingerprint"]) {
    check(
      field,
      v[field] === undefined ||
        (typeof v[field] === "string" && normalizeFingerprint(v[field]) !== undefined),
      "a SHA-256 fingerprint (64 hex digits)",
    );
  }
  if (v.transport === "tls" && v.tlsCaPem === undefined) {
    problems.push(
      `transport "tls" needs "tlsCaPem", the controller's CA certificate (a fingerprint alone ` +
        `cannot be pinned)`,
    );
  }
  check(
    "ipcPath",
    v.ipcPath === undefined || (isNonEmptyString(v.ipcPath) && v.ipcPath.startsWith("/")),
    "an absolute path",
  );
  check("profile", isNonEmptyString(v.profile), "a non-empty string");
  check("controllerPid", isIntegerIn(v.controllerPid, 1), "a positive integer");
  check(
    "createdAt",
    typeof v.createdAt === "string" && !Number.isNaN(Date.parse(v.createdAt)),
    "an ISO 8601 date",
  );
  if (problems.length > 0) {
    const detail = problems.join("; ");
    throw new ConnectionFileError(
      `Cannot use connection file ${source}: ${detail}; ${HINT_FIX}`,
      { path: source, problem: "invalid-fields", detail },
    );
  }
  const info: ConnectionInfo = {
    role: v.role as ConnectionInfo["role"],
    ipxVersion: v.ipxVersion as string,
    protocolVersion: v.protocolVersion as number,
    transport: v.transport as ConnectionInfo["transport"],
    host: v.host as string,
    port: v.port as number,
    addresses: [...(v.addresses as string[])],
    location: v.location as string,
    key: v.key as string,
    profile: v.profile as string,
    controllerPid: v.controllerPid as number,
    createdAt: v.createdAt as string,
  };
  if (typeof v.tlsCaPem === "string") info.tlsCaPem = v.tlsCaPem;
  for (const field of ["tlsFingerprint", "tlsCertFingerprint"] as const) {
    const pin = typeof v[field] === "string" ? normalizeFingerprint(v[field]) : undefined;
    if (pin !== undefined) info[field] = pin;
  }
  if (typeof v.ipcPath === "string") info.ipcPath = v.ipcPath;
  return info;
}

/**
 * Writes a connection file atomically (temporary file, then rename) with mode 0600, so readers
 * never see a partial file and other users never see the key.
 *
 * @param path The file to write; its directory must exist.
 * @param info The connection info; it is validated first.
 * @throws {ConnectionFileError} when `info` is invalid (`invalid-fields`) or the file cannot be
 * written (`write-failed`).
 */
export async function writeConnectionFile(path: string, info: ConnectionInfo): Promise<void> {
  const clean = parseConnectionInfo(info, path);
  try {
    await writeFileAtomic(path, JSON.stringify(clean, null, 2) + "\n", 0o600);
  } catch (error) {
    throw new ConnectionFileError(
      `Cannot write connection file ${path}: ${
        errorText((error as { cause?: unknown }).cause ?? error)
      }; check that ` +
        "its directory exists and is writable by this user",
      { path, problem: "write-failed", cause: error },
    );
  }
}

/**
 * Waits until a connection file exists and is valid, polling every `intervalMs`. Useful when an
 * engine or client starts at the same time as its controller. A file that exists but is not
 * valid is waited for too (a controller writes its files atomically, but a copy made with
 * `scp` or `cp` can be read half-written); `onWaiting` gets the reason at once.
 *
 * @param path The file to wait for.
 * @param options Timeout, abort signal, a callback for when waiting starts, and the interval.
 * @returns The validated connection info.
 * @throws {ConnectionFileError} at once for an unreadable file; after `timeoutMs` with problem
 * `timeout` (the last attempt's error as `cause`). Rejects with `signal.reason` when aborted.
 */
export async function waitForConnectionFile(
  path: string,
  options: WaitForConnectionFileOptions,
): Promise<ConnectionInfo> {
  const { timeoutMs, signal, onWaiting, intervalMs = 100 } = options;
  const longerWait = options.longerWait ?? "allow a longer timeout";
  const started = performance.now();
  let announced: ConnectionFileProblem | undefined;
  while (true) {
    signal?.throwIfAborted();
    let last: ConnectionFileError;
    try {
      return await readConnectionFile(path);
    } catch (error) {
      if (!(error instanceof ConnectionFileError) || error.problem === "unreadable") throw error;
      last = error;
    }
    const waited = performance.now() - started;
    if (waited >= timeoutMs) {
      const after = `Timed out after ${(waited / 1000).toFixed(1)} s waiting for connection file`;
      throw new ConnectionFileError(
        last.detail !== undefined
          ? `${after} ${path}: it exists but cannot be used (${last.detail}); ${HINT_FIX}`
          : `${after} ${path} ` +
            `(last problem: ${last.problem}). Start the controller first with \`ipx controller\` ` +
            "(same profile), pass --file (the library: `file`) with the right connection file, " +
            `or ${longerWait}`,
        { path, problem: "timeout", cause: last },
      );
    }
    if (announced !== last.problem) {
      announced = last.problem;
      onWaiting?.(last);
    }
    await pause(Math.min(intervalMs, Math.max(0, timeoutMs - waited)), signal);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
    function done(): void {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal?.reason);
    }
  });
}

function isNonEmptyString(x: unknown): x is string {
  return typeof x === "string" && x.length > 0;
}

function isIntegerIn(x: unknown, min: number, max = Number.MAX_SAFE_INTEGER): x is number {
  return Number.isInteger(x) && (x as number) >= min && (x as number) <= max;
}

function isHostPort(x: unknown): boolean {
  if (typeof x !== "string") return false;
  const colon = x.lastIndexOf(":");
  return colon > 0 && isIntegerIn(Number(x.slice(colon + 1)), 1, 65535) &&
    /^\d+$/.test(x.slice(colon + 1));
}

function isKey(x: unknown): boolean {
  if (typeof x !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(x) || x.length % 4 !== 0) {
    return false;
  }
  try {
    return atob(x).length === KEY_BYTES;
  } catch {
    return false;
  }
}

function describe(x: unknown): string {
  if (x === undefined) return "nothing";
  const json = JSON.stringify(x) ?? String(x);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether a connection file can be read by other users of this machine: it holds the cluster's
 * key, and anyone who reads the key can run code on the engines (as ssh refuses a private key
 * others can read, ipx at least says so). The controller writes its files 0600; a copy made
 * with `cp` or `scp` under a usual umask is 0644.
 *
 * @param path The connection file.
 * @returns A warning saying what to do, or undefined when only its owner can read it (or it
 *   cannot be checked, e.g. on Windows).
 */
export async function exposedKeyWarning(path: string): Promise<string | undefined> {
  try {
    const mode = (await Deno.stat(path)).mode;
    if (mode === null || (mode & 0o077) === 0) return undefined;
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    return `${path} can be read by other users of this machine (mode ${octal}), and it holds ` +
      `the cluster's key: anyone who reads it can run code on your engines. Make it yours ` +
      `alone: chmod 600 ${path}`;
  } catch {
    return undefined;
  }
}
