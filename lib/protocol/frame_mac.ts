/**
 * Per-frame MACs: `HMAC(sessionKey, seq ‖ body)` on every frame of a connection that is neither
 * TLS nor a local socket (plain TCP, `--no-tls`). The design is in `auth.ts`, which derives the
 * session keys.
 *
 * This is the one part of authentication that uses `node:crypto`: it MACs every frame, bulk
 * values included, and `node:crypto`'s HMAC is synchronous and native (~16 µs for a small
 * message, against ~43 µs through WebCrypto's asynchronous one). Loading `node:crypto` costs a
 * process ~20–30 ms of CPU, so the handshake imports this module only when the connection needs
 * per-frame MACs (`loadFrameMacs` in `auth.ts`); engines and clients on the controller's machine
 * (local socket) or over TLS never load it.
 *
 * @module
 */

import { createHmac } from "node:crypto";
import { MAC_BYTES, macEqual } from "./auth.ts";
import { AuthenticationError } from "./errors.ts";

function mac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
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
