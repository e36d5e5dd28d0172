import assert, { throws } from "node:assert/strict";
import { decodeKey, deriveSessionKeys, generateKey, generateNonce, MAC_BYTES } from "./auth.ts";
import { AuthenticationError } from "./errors.ts";
import { FrameSigner, FrameVerifier } from "./frame_mac.ts";

function seal(signer: FrameSigner, body: Uint8Array): Uint8Array {
  const mac = signer.sign(body);
  const out = new Uint8Array(MAC_BYTES + body.length);
  out.set(mac);
  out.set(body, MAC_BYTES);
  return out;
}

Deno.test("FrameVerifier.open() accepts frames in order and returns the body", async () => {
  const k = await deriveSessionKeys(decodeKey(generateKey()), generateNonce(), generateNonce());
  const s = new FrameSigner(k.clientToServer);
  const v = new FrameVerifier(k.clientToServer);
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(v.open(seal(s, new Uint8Array([i, 1, 2]))), new Uint8Array([i, 1, 2]));
  }
});

Deno.test("FrameVerifier.open() rejects a replayed, reordered or altered frame", async () => {
  const k = await deriveSessionKeys(decodeKey(generateKey()), generateNonce(), generateNonce());
  const s = new FrameSigner(k.clientToServer);
  const v = new FrameVerifier(k.clientToServer);
  const f0 = seal(s, new Uint8Array([1]));
  const f1 = seal(s, new Uint8Array([2]));
  throws(() => v.open(f1), AuthenticationError); // reordered
  v.open(f0);
  throws(() => v.open(f0), AuthenticationError); // replayed
  const altered = f1.slice();
  altered[altered.length - 1]! ^= 1;
  throws(() => v.open(altered), AuthenticationError);
  throws(() => v.open(new Uint8Array(3)), /too short/);
  v.open(f1);
});

Deno.test("FrameVerifier.open() rejects a frame captured on another connection", async () => {
  const key = decodeKey(generateKey());
  const a = await deriveSessionKeys(key, generateNonce(), generateNonce());
  const b = await deriveSessionKeys(key, generateNonce(), generateNonce());
  const frame = seal(new FrameSigner(a.clientToServer), new Uint8Array([7]));
  throws(() => new FrameVerifier(b.clientToServer).open(frame), AuthenticationError);
  // and the other direction of the same connection
  throws(() => new FrameVerifier(a.serverToClient).open(frame), AuthenticationError);
});
