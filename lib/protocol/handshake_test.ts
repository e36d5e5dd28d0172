import assert, { rejects } from "node:assert/strict";
import { generateKey } from "./auth.ts";
import {
  AuthenticationError,
  ProtocolError,
  TimeoutError,
  VersionMismatchError,
} from "./errors.ts";
import { encodeFrame } from "./frame.ts";
import { clientHandshake, serverHandshake } from "./handshake.ts";
import { memoryPair } from "./memory_transport.ts";

type M = { type: "hi"; n: number; data?: Uint8Array };

Deno.test("clientHandshake()/serverHandshake() connect and exchange messages both ways", async () => {
  const key = generateKey();
  const [a, b] = memoryPair();
  const [client, accepted] = await Promise.all([
    clientHandshake<M, M>(a, { key, role: "engine" }),
    serverHandshake<M, M>(b, { key }),
  ]);
  assert.equal(accepted.role, "engine");
  const got: M[] = [];
  const done = Promise.withResolvers<void>();
  const serverLoop = accepted.channel.run((m) => {
    got.push(m);
    accepted.channel.send({ type: "hi", n: m.n * 10 });
    if (got.length === 3) done.resolve();
  });
  const back: number[] = [];
  const allBack = Promise.withResolvers<void>();
  const clientLoop = client.run((m) => {
    back.push(m.n);
    if (back.length === 3) allBack.resolve();
  });
  const blob = new Uint8Array(200_000).fill(7);
  client.send({ type: "hi", n: 1 });
  client.send({ type: "hi", n: 2, data: blob });
  client.send({ type: "hi", n: 3 });
  await done.promise;
  await allBack.promise;
  assert.deepEqual(got.map((m) => m.n), [1, 2, 3]);
  assert.deepEqual(got[1]!.data, blob);
  assert.deepEqual(back, [10, 20, 30]);
  client.close();
  assert.equal(await clientLoop, undefined);
  assert.equal(await serverLoop, undefined);
});

Deno.test("a wrong key fails with AuthenticationError on both ends, naming the file", async () => {
  const [a, b] = memoryPair();
  const [c, s] = await Promise.allSettled([
    clientHandshake(a, { key: generateKey(), role: "client", keySource: "/x/ipx-client.json" }),
    serverHandshake(b, { key: generateKey() }),
  ]);
  assert.equal(c.status, "rejected");
  assert.equal(s.status, "rejected");
  const ce = (c as PromiseRejectedResult).reason;
  assert(ce instanceof AuthenticationError, String(ce));
  assert.match(ce.message, /\/x\/ipx-client\.json does not match/);
  assert((s as PromiseRejectedResult).reason instanceof AuthenticationError);
});

Deno.test("a version mismatch fails at once on both ends, naming both versions", async () => {
  const key = generateKey();
  const [a, b] = memoryPair();
  const [c, s] = await Promise.allSettled([
    clientHandshake(a, {
      key,
      role: "engine",
      versions: { ipxVersion: "9.9.0", protocolVersion: 99 },
    }),
    serverHandshake(b, { key }),
  ]);
  for (const r of [c, s]) {
    assert.equal(r.status, "rejected");
    const e = (r as PromiseRejectedResult).reason;
    assert(e instanceof VersionMismatchError, String(e));
    assert.match(e.message, /9\.9\.0/);
    assert.match(e.message, /protocol 99/);
    assert.match(e.message, /protocol 1\b/);
  }
});

Deno.test("serverHandshake() times out a silent peer and an oversized pre-auth frame", async () => {
  const [, b] = memoryPair();
  await rejects(serverHandshake(b, { key: generateKey(), timeoutMs: 50 }), TimeoutError);
  const [a2, b2] = memoryPair();
  const p = serverHandshake(b2, { key: generateKey() });
  await a2.write(new Uint8Array([0, 1, 0, 0])); // declares 65536 bytes
  await rejects(p, ProtocolError);
});

Deno.test("serverHandshake() rejects garbage instead of a hello", async () => {
  const [a, b] = memoryPair();
  const p = serverHandshake(b, { key: generateKey() });
  await a.write(encodeFrame(new Uint8Array([0xc3])));
  await rejects(p, ProtocolError);
});
