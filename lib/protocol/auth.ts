/**
 * Authentication primitives: the shared key, handshake proofs, per-connection session keys and
 * per-frame MACs.
 *
 * Design: the connection file holds a 32-byte shared key. At the handshake both peers send a
 * fresh random nonce; each proves knowledge of the key with `HMAC(key, label ‖ cnonce ‖ snonce)`
 * (the key itself never crosses the wire). Two session keys, one per direction, are derived the
 * same way. Every frame after the handshake carries `HMAC(sessionKey, seq ‖ body)` where `seq`
 * is the implicit count of frames already sent in that direction. A frame replayed on the same
 * connection (wrong seq), reordered, replayed on another connection (other nonces → other
 * session key) or altered fails verification. One MAC covers a whole frame, which may carry a
 * batch of messages, binary payloads included.
 *
 * @module
 */

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { AuthenticationError } from "./errors.ts";

/** Bytes of a MAC (HMAC-SHA256). */
export const MAC_BYTES = 32;
/** Bytes of the shared key. */
export const KEY_BYTES = 32;
/** Bytes of a handshake nonce. */
export const NONCE_BYTES = 32;

const encoder = new TextEncoder();

/** Makes a new random shared key, base64-encoded (as stored in connection files). */
export function generateKey(): string {
  return randomBytes(KEY_BYTES).toString("base64");
}

/** Makes a fresh random nonce. */
export function generateNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

/**
 * Decodes a base64 shared key and checks its length.
 *
 * @param base64 The key as stored in a connection file.
 * @returns The raw key bytes.
 */
export function decodeKey(base64: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(base64, "base64"));
  if (bytes.length !== KEY_BYTES) {
    throw new AuthenticationError(
      `Cannot use key: it has ${bytes.length} bytes, expected ${KEY_BYTES}; ` +
        `the connection file is damaged, copy a fresh one from the controller`,
    );
  }
  return bytes;
}

function mac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/**
 * The handshake proof of one side.
 *
 * @param key The shared key.
 * @param side Which side proves.
 * @param clientNonce The connecting peer's nonce.
 * @param serverNonce The controller's nonce.
 * @param terms What the proving side announces with its proof (the controller's welcome terms),
 * so that they cannot be altered on the way without the proof failing.
 */
export function handshakeProof(
  key: Uint8Array,
  side: "server" | "client",
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
  terms: Uint8Array = new Uint8Array(0),
): Uint8Array {
  return mac(key, encoder.encode(`ipx-proof-${side}`), clientNonce, serverNonce, terms);
}

/** Session keys of one connection, one per direction. */
export interface SessionKeys {
  /** Key for frames the connecting peer sends. */
  clientToServer: Uint8Array;
  /** Key for frames the controller sends. */
  serverToClient: Uint8Array;
}

/**
 * Derives the per-connection session keys.
 *
 * @param key The shared key.
 * @param clientNonce The connecting peer's nonce.
 * @param serverNonce The controller's nonce.
 */
export function deriveSessionKeys(
  key: Uint8Array,
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
): SessionKeys {
  return {
    clientToServer: mac(key, encoder.encode("ipx-c2s"), clientNonce, serverNonce),
    serverToClient: mac(key, encoder.encode("ipx-s2c"), clientNonce, serverNonce),
  };
}

/**
 * Constant-time comparison of two MACs.
 *
 * @param a First MAC.
 * @param b Second MAC.
 */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function seqBytes(seq: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(seq));
  return b;
}

/**
 * The MAC of one frame body: `HMAC(sessionKey, seq ‖ body)` with `seq` as 8 big-endian bytes.
 * {@linkcode FrameSigner} and {@linkcode FrameVerifier} keep `seq` themselves; this is for
 * tools that build frames by hand (security tests, the fuzzer).
 *
 * @param sessionKey The direction's session key.
 * @param seq The frame's sequence number in its direction (0 for the first frame).
 * @param body The frame body.
 * @returns The 32-byte MAC.
 */
export function frameMac(
  sessionKey: Uint8Array,
  seq: number,
  body: Uint8Array | readonly Uint8Array[],
): Uint8Array {
  return body instanceof Uint8Array
    ? mac(sessionKey, seqBytes(seq), body)
    : mac(sessionKey, seqBytes(seq), ...body);
}

/** Signs outgoing frames of one direction of one connection. */
export class FrameSigner {
  #key: Uint8Array;
  #seq = 0;
  /** @param sessionKey The direction's session key. */
  constructor(sessionKey: Uint8Array) {
    this.#key = sessionKey;
  }
  /**
   * Computes the MAC of the next frame's body and advances the sequence number.
   *
   * @param body The frame body, whole or as the parts it is written in.
   * @returns The MAC to put in front of the body.
   */
  sign(body: Uint8Array | readonly Uint8Array[]): Uint8Array {
    return frameMac(this.#key, this.#seq++, body);
  }
}

/** Verifies incoming frames of one direction of one connection. */
export class FrameVerifier {
  #key: Uint8Array;
  #seq = 0;
  /** @param sessionKey The direction's session key. */
  constructor(sessionKey: Uint8Array) {
    this.#key = sessionKey;
  }
  /**
   * Verifies a frame payload `[mac ‖ body]` and returns the body.
   * Throws {@linkcode AuthenticationError} on a forged, altered, replayed or reordered frame.
   *
   * @param payload The frame payload.
   * @returns The authenticated body (a view into the payload).
   */
  open(payload: Uint8Array): Uint8Array {
    if (payload.length < MAC_BYTES) {
      throw new AuthenticationError("Frame rejected: too short to carry a MAC");
    }
    const body = payload.subarray(MAC_BYTES);
    const expected = frameMac(this.#key, this.#seq, body);
    if (!macEqual(expected, payload.subarray(0, MAC_BYTES))) {
      throw new AuthenticationError(
        `Frame rejected: authentication failed for frame #${this.#seq} ` +
          `(forged, altered, replayed or reordered)`,
      );
    }
    this.#seq++;
    return body;
  }
}
