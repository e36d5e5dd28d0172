/**
 * Authentication primitives: the shared key, handshake proofs and per-connection session keys.
 * The per-frame MACs that use the session keys are in `frame_mac.ts`.
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
 * Everything here uses Web APIs only (WebCrypto's HMAC-SHA256, `crypto.getRandomValues`):
 * loading `node:crypto` costs a process ~20–30 ms of CPU (an engine took 375 → 347 ms to
 * register without it; README, Performance), and engines, clients and the REPL need it only for
 * per-frame MACs over plain TCP, where `frame_mac.ts` loads it.
 *
 * @module
 */

import { concatBytes } from "./concat_bytes.ts";
import { AuthenticationError } from "./errors.ts";
import type { FrameSigner, FrameVerifier } from "./frame_mac.ts";

/** Bytes of a MAC (HMAC-SHA256). */
export const MAC_BYTES = 32;
/** Bytes of the shared key. */
export const KEY_BYTES = 32;
/** Bytes of a handshake nonce. */
export const NONCE_BYTES = 32;

const encoder = new TextEncoder();

/** Makes a new random shared key, base64-encoded (as stored in connection files). */
export function generateKey(): string {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES)).toBase64();
}

/** Makes a fresh random nonce. */
export function generateNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

/**
 * Decodes a base64 shared key and checks its length.
 *
 * @param base64 The key as stored in a connection file.
 * @returns The raw key bytes.
 */
export function decodeKey(base64: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(base64);
  } catch (error) {
    throw new AuthenticationError(
      "Cannot use key: it is not base64; the connection file is damaged, copy a fresh one " +
        "from the controller",
      { cause: error },
    );
  }
  if (bytes.length !== KEY_BYTES) {
    throw new AuthenticationError(
      `Cannot use key: it has ${bytes.length} bytes, expected ${KEY_BYTES}; ` +
        `the connection file is damaged, copy a fresh one from the controller`,
    );
  }
  return bytes;
}

/** `HMAC-SHA256(key, parts[0] ‖ parts[1] ‖ …)` through WebCrypto. */
async function mac(key: Uint8Array, ...parts: Uint8Array[]): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, concatBytes(parts)));
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
): Promise<Uint8Array> {
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
export async function deriveSessionKeys(
  key: Uint8Array,
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
): Promise<SessionKeys> {
  const [clientToServer, serverToClient] = await Promise.all([
    mac(key, encoder.encode("ipx-c2s"), clientNonce, serverNonce),
    mac(key, encoder.encode("ipx-s2c"), clientNonce, serverNonce),
  ]);
  return { clientToServer, serverToClient };
}

/**
 * Constant-time comparison of two MACs.
 *
 * @param a First MAC.
 * @param b Second MAC.
 */
export function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  // every byte is compared, whatever the first difference: the time taken tells nothing
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The signer and verifier of one end of a connection. */
export interface FrameMacs {
  /** Signs the frames this end sends. */
  signer: FrameSigner;
  /** Verifies the frames this end receives. */
  verifier: FrameVerifier;
}

/**
 * The per-frame MACs of one end of a connection, loading `frame_mac.ts` (and `node:crypto`)
 * on first use.
 *
 * @param keys The connection's session keys.
 * @param end Which end this is: the connecting peer ("client": engines and clients) or the
 *   controller ("server").
 */
export async function loadFrameMacs(
  keys: SessionKeys,
  end: "client" | "server",
): Promise<FrameMacs> {
  const { FrameSigner, FrameVerifier } = await import("./frame_mac.ts");
  return end === "client"
    ? {
      signer: new FrameSigner(keys.clientToServer),
      verifier: new FrameVerifier(keys.serverToClient),
    }
    : {
      signer: new FrameSigner(keys.serverToClient),
      verifier: new FrameVerifier(keys.clientToServer),
    };
}
