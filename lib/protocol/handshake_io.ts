/**
 * The handshake's raw reads and writes: messages framed but not yet authenticated, the first
 * message read with its transport-mismatch and pre-auth limit explanations, and the deadline
 * that bounds the whole exchange (see `handshake.ts`).
 *
 * @module
 */

import { decodeValue, encodeValue } from "./codec.ts";
import { ConnectionError, ProtocolError, TimeoutError } from "./errors.ts";
import { encodeFrame, FrameTooLargeError, isTlsRecordHeader } from "./frame.ts";
import type { FramedConn } from "./framed_conn.ts";
import type { HandshakeMsg } from "./messages.ts";
import { isProtected } from "./transport.ts";

/**
 * Sends one handshake message.
 *
 * @param framed The connection.
 * @param msg The message.
 */
export async function sendRaw(framed: FramedConn, msg: HandshakeMsg): Promise<void> {
  await framed.write(encodeFrame(encodeValue(msg)));
}

/**
 * Reads one handshake message.
 *
 * @param framed The connection.
 * @param what What is awaited, for messages.
 */
export async function readRaw(framed: FramedConn, what: string): Promise<HandshakeMsg> {
  const frame = await framed.readFrame();
  if (frame === null) {
    throw new ConnectionError(`Connection closed during the handshake while waiting for ${what}`);
  }
  const msg = decodeValue(frame, { maxDepth: 4 }) as HandshakeMsg;
  if (msg === null || typeof msg !== "object" || typeof msg.type !== "string") {
    throw new ProtocolError(`Malformed handshake message while waiting for ${what}`);
  }
  return msg;
}

/** Why a controller may accept a connection and never answer, and what to do. */
const SILENT_CONTROLLER = "it accepted the connection but did not answer: it may be stopped " +
  "(SIGSTOP), overloaded, or not an ipx controller — check the process at that address, or retry " +
  "with a longer timeout";

/**
 * The peer's first 4 bytes, a TLS record header, as the cause of a transport mismatch (the
 * {@linkcode FrameTooLargeError} they raised, and its advice to split data, do not apply).
 */
function tlsRecordEvidence(declared: number): ProtocolError {
  const bytes = [24, 16, 8, 0].map((at) =>
    ((declared >>> at) & 0xff).toString(16).padStart(2, "0")
  );
  const kind =
    ["change_cipher_spec", "alert", "handshake", "application_data"][(declared >>> 24) - 0x14];
  return new ProtocolError(
    `the peer's first bytes (${bytes.join(" ")}) are the header of a TLS ${kind} record, not ` +
      "the length of an ipx frame",
  );
}

/**
 * Reads the peer's first handshake message. On a plain connection, a first "frame length" that
 * is really the header of a TLS record means the peer speaks TLS: `mismatch` builds the error to
 * throw instead of a meaningless {@linkcode FrameTooLargeError}, given the bytes seen as its
 * cause.
 */
export async function readFirst(
  framed: FramedConn,
  what: string,
  mismatch: (cause: ProtocolError) => Promise<Error>,
): Promise<HandshakeMsg> {
  try {
    return await readRaw(framed, what);
  } catch (error) {
    if (!(error instanceof FrameTooLargeError)) throw error;
    if (!isProtected(framed.conn) && isTlsRecordHeader(error.size)) {
      throw await mismatch(tlsRecordEvidence(error.size));
    }
    // the limit before authentication is fixed: --max-frame-mb does not apply to it
    throw new ProtocolError(
      `Frame of ${error.size} bytes exceeds the limit of ${error.limit} bytes before ` +
        `authentication while waiting for ${what}: handshake messages are small, so the peer ` +
        `is not an ipx peer, or sent other data before its handshake (this limit is fixed; ` +
        `--max-frame-mb applies only after the handshake)`,
      { cause: error },
    );
  }
}

/**
 * Whether a field is a byte string of length `n`.
 *
 * @param v The field.
 * @param n Its length.
 */
export function isBytes(v: unknown, n: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length === n;
}

/**
 * Runs the handshake `work`, closing the connection when it takes longer than `ms`.
 *
 * @param framed The connection.
 * @param ms The bound.
 * @param what The peer, for messages.
 * @param work The exchange.
 */
export async function withDeadline<T>(
  framed: FramedConn,
  ms: number,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    framed.close();
  }, ms);
  try {
    return await work();
  } catch (error) {
    if (timedOut) {
      const hint = what !== "the controller" ? "" : `; ${SILENT_CONTROLLER}`;
      throw new TimeoutError(`Handshake with ${what} did not complete within ${ms} ms${hint}`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
