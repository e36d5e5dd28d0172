import assert, { throws } from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  decodeKey,
  deriveSessionKeys,
  generateKey,
  generateNonce,
  handshakeProof,
  KEY_BYTES,
  loadFrameMacs,
  MAC_BYTES,
  macEqual,
  NONCE_BYTES,
} from "./auth.ts";
import { AuthenticationError } from "./errors.ts";

const text = (t: string) => new TextEncoder().encode(t);

/** HMAC-SHA256 by node:crypto, as ipx computed every MAC before it used WebCrypto. */
function nodeHmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

Deno.test("handshakeProof() differs by side and key", async () => {
  const k1 = decodeKey(generateKey());
  const k2 = decodeKey(generateKey());
  const cn = generateNonce();
  const sn = generateNonce();
  assert.notDeepEqual(
    await handshakeProof(k1, "server", cn, sn),
    await handshakeProof(k1, "client", cn, sn),
  );
  assert.notDeepEqual(
    await handshakeProof(k1, "server", cn, sn),
    await handshakeProof(k2, "server", cn, sn),
  );
  assert.deepEqual(
    await handshakeProof(k1, "client", cn, sn),
    await handshakeProof(k1, "client", cn, sn),
  );
  const terms = (t: string) => new TextEncoder().encode(t);
  assert.notDeepEqual(
    await handshakeProof(k1, "server", cn, sn, terms("max=1")),
    await handshakeProof(k1, "server", cn, sn, terms("max=2")),
    "the terms are covered",
  );
});

Deno.test("handshake proofs and session keys are HMAC-SHA256 as defined (and as before)", async () => {
  const key = decodeKey(generateKey());
  const cn = generateNonce();
  const sn = generateNonce();
  const terms = text("mac=1;max=9;timeout=5");
  assert.deepEqual(
    await handshakeProof(key, "server", cn, sn, terms),
    nodeHmac(key, text("ipx-proof-server"), cn, sn, terms),
  );
  assert.deepEqual(
    await handshakeProof(key, "client", cn, sn),
    nodeHmac(key, text("ipx-proof-client"), cn, sn),
  );
  const keys = await deriveSessionKeys(key, cn, sn);
  assert.deepEqual(keys.clientToServer, nodeHmac(key, text("ipx-c2s"), cn, sn));
  assert.deepEqual(keys.serverToClient, nodeHmac(key, text("ipx-s2c"), cn, sn));
  assert.equal(keys.clientToServer.length, MAC_BYTES);
});

Deno.test("generateKey() and generateNonce() give fresh random bytes of the right size", () => {
  const keys = new Set(Array.from({ length: 50 }, generateKey));
  assert.equal(keys.size, 50);
  for (const k of keys) assert.equal(decodeKey(k).length, KEY_BYTES);
  const a = generateNonce();
  assert.equal(a.length, NONCE_BYTES);
  assert.notDeepEqual(a, generateNonce());
});

Deno.test("macEqual() is true only for the same bytes", () => {
  const a = generateNonce();
  assert.equal(macEqual(a, a.slice()), true);
  for (const i of [0, 17, a.length - 1]) {
    const b = a.slice();
    b[i]! ^= 0x80;
    assert.equal(macEqual(a, b), false, `byte ${i}`);
  }
  assert.equal(macEqual(a, a.subarray(1)), false);
  assert.equal(macEqual(new Uint8Array(0), new Uint8Array(0)), true);
});

Deno.test("loadFrameMacs() pairs each end's signer with the other end's verifier", async () => {
  const keys = await deriveSessionKeys(decodeKey(generateKey()), generateNonce(), generateNonce());
  const client = await loadFrameMacs(keys, "client");
  const server = await loadFrameMacs(keys, "server");
  const seal = (mac: Uint8Array, body: Uint8Array) => {
    const out = new Uint8Array(mac.length + body.length);
    out.set(mac);
    out.set(body, mac.length);
    return out;
  };
  const up = text("to the controller");
  assert.deepEqual(server.verifier.open(seal(client.signer.sign(up), up)), up);
  const down = text("to the peer");
  const frame = seal(server.signer.sign(down), down);
  throws(() => server.verifier.open(frame), AuthenticationError, "not its own direction");
  assert.deepEqual(client.verifier.open(frame), down);
});

Deno.test("decodeKey() rejects a key of the wrong length", () => {
  throws(() => decodeKey("c2hvcnQ="), /expected 32/);
});

Deno.test("decodeKey() rejects a key that is not base64, saying the file is damaged", () => {
  throws(() => decodeKey("not base64 at all!"), (e: Error) => {
    assert.ok(e instanceof AuthenticationError);
    assert.match(e.message, /not base64.*damaged, copy a fresh one/);
    return true;
  });
  assert.equal(decodeKey(` ${generateKey()}\n`).length, KEY_BYTES, "whitespace around it is fine");
});
