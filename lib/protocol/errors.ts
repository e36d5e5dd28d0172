/**
 * Error classes shared by every ipx role. Remote failures travel as data ({@linkcode ErrorData})
 * and are rebuilt into {@linkcode RemoteError} on the client.
 *
 * @module
 */

/** Base class of every ipx error, so callers can catch them all at once. */
export class IpxError extends Error {
  /**
   * @param message What happened and what to do about it.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The peer's key does not match ours, or a frame failed authentication. */
export class AuthenticationError extends IpxError {}

/** The peer speaks another protocol or program version. */
export class VersionMismatchError extends IpxError {
  /** Our versions and the peer's versions. */
  readonly local: { ipxVersion: string; protocolVersion: number };
  /** The peer's versions. */
  readonly remote: { ipxVersion: string; protocolVersion: number };
  /**
   * @param local Our versions.
   * @param remote The peer's versions.
   * @param hint What to do about it.
   */
  constructor(
    local: { ipxVersion: string; protocolVersion: number },
    remote: { ipxVersion: string; protocolVersion: number },
    hint = "run the same ipx version on the controller, engines and clients",
  ) {
    super(
      `Version mismatch: this side runs ipx ${local.ipxVersion} (protocol ${local.protocolVersion}), ` +
        `the peer runs ipx ${remote.ipxVersion} (protocol ${remote.protocolVersion}); ${hint}`,
    );
    this.local = local;
    this.remote = remote;
  }
}

/** A connection could not be made or was lost. */
export class ConnectionError extends IpxError {
  /** The address that was tried, as `host:port`. */
  readonly address: string | undefined;
  /**
   * @param message What happened, including a hint.
   * @param options `address` tried, and `cause`.
   */
  constructor(message: string, options: ErrorOptions & { address?: string } = {}) {
    super(message, options);
    this.address = options.address;
  }
}

/**
 * One end speaks TLS and the other plain TCP: a stale or edited connection file, or a controller
 * restarted with or without `--no-tls`. Retrying with the same connection file cannot help.
 */
export class TransportMismatchError extends ConnectionError {}

/**
 * True for connect failures that retrying with the same connection file cannot fix: a wrong key
 * or certificate pin ({@linkcode AuthenticationError}), another version
 * ({@linkcode VersionMismatchError}), or TLS against plain TCP ({@linkcode TransportMismatchError}).
 * Engines stop on them (exit code 3) instead of retrying forever.
 *
 * @param error Anything thrown while connecting.
 */
export function isPermanentConnectError(error: unknown): boolean {
  return error instanceof AuthenticationError || error instanceof VersionMismatchError ||
    error instanceof TransportMismatchError;
}

/** The peer broke the wire protocol (bad frame, oversized frame, unknown message). */
export class ProtocolError extends IpxError {}

/** A value cannot be sent over the wire. */
export class SerializationError extends IpxError {}

/**
 * A message is larger than its receiver accepts in one frame (the controller's `--max-frame-mb`):
 * it was not sent. The message says what was too large and what to do.
 */
export class MessageTooLargeError extends IpxError {
  /** Encoded size of what was too large, in bytes (when known here). */
  readonly bytes: number | undefined;
  /** The receiver's limit, in bytes (when known here). */
  readonly limit: number | undefined;
  /**
   * @param message What was too large and what to do about it.
   * @param bytes Its encoded size.
   * @param limit The receiver's limit.
   */
  constructor(message: string, bytes?: number, limit?: number) {
    super(message);
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** Largest frame limit a controller can be given (`--max-frame-mb 1024`). */
export const MAX_FRAME_LIMIT_BYTES = 1024 * 1024 * 1024;

/**
 * The end of a too-large message's advice: raising the controller's limit, when it can be.
 *
 * @param limit The limit in force.
 * @returns `, or start the controller with …`, or nothing at the highest limit.
 */
export function raiseLimit(limit: number): string {
  return limit < MAX_FRAME_LIMIT_BYTES
    ? ", or start the controller with a larger --max-frame-mb (at most 1024)"
    : "";
}

/**
 * Bytes as MiB for messages, e.g. `100.0 MiB`.
 *
 * @param bytes A size.
 * @returns The size in MiB with one decimal.
 */
export function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** An operation did not finish in time. */
export class TimeoutError extends IpxError {}

/** Remote failure as data: what crosses the wire when user code throws on an engine. */
export interface ErrorData {
  /** The error's class name, e.g. `TypeError`. */
  ename: string;
  /** The error's message. */
  evalue: string;
  /** The remote stack trace (may be empty). */
  stack: string;
  /** The engine it happened on, when known. */
  engineId?: number;
  /**
   * Set on the failure of a load-balanced task whose engine died after the controller
   * restarted: the controller no longer had the task, so it could not retry it itself. A client
   * that still holds the task may submit it again under its id, spending one of its retries.
   */
  retriable?: true;
}

/** Turns any thrown value into {@linkcode ErrorData}. */
export function toErrorData(error: unknown, engineId?: number): ErrorData {
  const data: ErrorData = error instanceof Error
    ? { ename: error.name, evalue: error.message, stack: error.stack ?? "" }
    : { ename: "Error", evalue: String(error), stack: "" };
  if (engineId !== undefined) data.engineId = engineId;
  return data;
}
