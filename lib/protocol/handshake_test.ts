import assert, { rejects } from "node:assert/strict";
import {
  decodeKey,
  deriveSessionKeys,
  generateKey,
  generateNonce,
  handshakeProof,
  type SessionKeys,
} from "./auth.ts";
import { FrameSigner } from "./frame_mac.ts";
import { decodeValue, encodeValue } from "./codec.ts";
import {
  AuthenticationError,
  isPermanentConnectError,
  ProtocolError,
  TimeoutError,
  TransportMismatchError,
  VersionMismatchError,
} from "./errors.ts";
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameTooLargeError } from "./frame.ts";
import { FRAME_SLACK_BYTES } from "./messages.ts";
import { FramedConn } from "./framed_conn.ts";
import { clientHandshake, PREAUTH_MAX_BYTES, serverHandshake, welcomeTerms } from "./handshake.ts";
import { memoryPair } from "./memory_transport.ts";
import type { ByteConn } from "./transport.ts";
import { IPX_VERSION, PROTOCOL_VERSION } from "./version.ts";

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
    assert.match(e.message, new RegExp(`protocol ${PROTOCOL_VERSION}\\b`));
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

Deno.test("a wrong key names the file and the connection file to copy, per role", async () => {
  for (
    const [role, file] of [["engine", "ipx-engine.json"], ["client", "ipx-client.json"]] as const
  ) {
    const [a, b] = memoryPair();
    const [c, s] = await Promise.allSettled([
      clientHandshake(a, { key: generateKey(), role, keySource: `/remote/${role}-copy.json` }),
      serverHandshake(b, { key: generateKey(), peer: "10.1.2.3:4000" }),
    ]);
    const ce = (c as PromiseRejectedResult).reason;
    assert(ce instanceof AuthenticationError, String(ce));
    assert.match(
      ce.message,
      new RegExp(
        `the key in /remote/${role}-copy\\.json does not match the controller's: ` +
          `copy a fresh ${file.replace(".", "\\.")}`,
      ),
    );
    const se = (s as PromiseRejectedResult).reason;
    assert(se instanceof AuthenticationError, String(se));
    assert.match(se.message, new RegExp(`Peer \\(${role}\\) holds a different key`));
  }
});

Deno.test("serverHandshake() closes a peer that sends more than the pre-auth byte budget", async () => {
  const [a, b] = memoryPair();
  const p = serverHandshake(b, { key: generateKey() });
  const hello = encodeFrame(encodeValue({
    type: "hello",
    role: "client",
    ipxVersion: IPX_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    nonce: generateNonce(),
  }));
  // a valid hello followed by small frames: each is under the frame limit, together they are
  // over the byte budget
  const junk = new Uint8Array(PREAUTH_MAX_BYTES + 100);
  for (let i = 0; i + 1004 <= junk.length; i += 1004) junk.set([0, 0, 3, 232], i);
  const wire = new Uint8Array(hello.length + junk.length);
  wire.set(hello);
  wire.set(junk, hello.length);
  await a.write(wire);
  await rejects(p, (e: unknown) => {
    assert(e instanceof ProtocolError, String(e));
    assert.match(
      e.message,
      new RegExp(`more than ${PREAUTH_MAX_BYTES} bytes before authenticating`),
    );
    return true;
  });
});

/** Plays the controller's side by hand, writing `ready` and `after` in a single write. */
async function handRolledServer(
  conn: ByteConn,
  key: string,
  after: (keys: SessionKeys) => Uint8Array,
  welcomeLimit: unknown = 1024 * 1024,
  provenLimit?: number,
) {
  const framed = new FramedConn(conn, { oneFrameAtATime: true });
  const hello = decodeValue((await framed.readFrame())!) as { nonce: Uint8Array };
  const snonce = generateNonce();
  const raw = decodeKey(key);
  await framed.write(encodeFrame(encodeValue({
    type: "welcome",
    ipxVersion: IPX_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    nonce: snonce,
    proof: await handshakeProof(
      raw,
      "server",
      hello.nonce,
      snonce,
      welcomeTerms(true, provenLimit ?? Number(welcomeLimit), 30_000),
    ),
    maxFrameBytes: welcomeLimit,
    frameTimeoutMs: 30_000,
  })));
  await framed.readFrame(); // auth
  const ready = encodeFrame(encodeValue({ type: "ready" }));
  const next = after(await deriveSessionKeys(raw, hello.nonce, snonce));
  const both = new Uint8Array(ready.length + next.length);
  both.set(ready);
  both.set(next, ready.length);
  await framed.write(both);
  return framed;
}

Deno.test("clientHandshake() accepts a large first message that arrives in the same read as ready", async () => {
  const key = generateKey();
  const [a, b] = memoryPair();
  const big = { type: "hi", n: 1, data: new Uint8Array(PREAUTH_MAX_BYTES * 4) } satisfies M;
  const server = handRolledServer(b, key, (keys) => {
    const body = encodeValue([big]);
    const mac = new FrameSigner(keys.serverToClient).sign(body);
    const payload = new Uint8Array(mac.length + body.length);
    payload.set(mac);
    payload.set(body, mac.length);
    return encodeFrame(payload);
  });
  const channel = await clientHandshake<M, M>(a, { key, role: "client" });
  const got = Promise.withResolvers<M>();
  const loop = channel.run((m) => got.resolve(m));
  assert.equal((await got.promise).data?.length, big.data.length);
  channel.close();
  await loop;
  (await server).close();
});

Deno.test("after the handshake a stalled frame closes the channel, naming the peer", async () => {
  const key = generateKey();
  const [a, b] = memoryPair();
  const [client, accepted] = await Promise.all([
    clientHandshake<M, M>(a, { key, role: "client" }),
    serverHandshake<M, M>(b, { key, peer: "10.9.8.7:6543", frameTimeoutMs: 50 }),
  ]);
  const closed = accepted.channel.run(() => {});
  // a frame header declaring 500 bytes, and nothing more
  await a.write(new Uint8Array([0, 0, 1, 244]));
  const error = await closed;
  assert(error instanceof TimeoutError, String(error));
  assert.match(
    error.message,
    /^10\.9\.8\.7:6543: Peer started a frame and did not finish it within 51 ms/,
  );
  client.close();
});

type MemoryConn = ReturnType<typeof memoryPair>[0];

/** The memory connection marked as TLS (`encrypted`) or as a local Unix socket (`local`). */
function marked(c: MemoryConn, flag: "encrypted" | "local") {
  return { read: c.read.bind(c), write: c.write.bind(c), close: c.close.bind(c), [flag]: true };
}

const KINDS = { encrypted: "a TLS", local: "a local Unix-socket" } as const;

for (const flag of ["encrypted", "local"] as const) {
  Deno.test(`over ${KINDS[flag]} connection frames skip the MAC; the key proofs still run`, async () => {
    const key = generateKey();
    const [a, b] = memoryPair();
    const written: number[] = [];
    const spyA = marked(a, flag);
    const write = spyA.write;
    spyA.write = (p: Uint8Array) => {
      written.push(p.length);
      return write(p);
    };
    const [client, accepted] = await Promise.all([
      clientHandshake<M, M>(spyA, { key, role: "client" }),
      serverHandshake<M, M>(marked(b, flag), { key }),
    ]);
    const got = Promise.withResolvers<M>();
    const loop = accepted.channel.run((m) => got.resolve(m));
    written.length = 0;
    client.send({ type: "hi", n: 1 });
    assert.deepEqual(await got.promise, { type: "hi", n: 1 });
    // 4-byte header + the msgpack batch, no 32-byte MAC
    assert.ok(written[0]! < 32, `frame of ${written[0]} bytes carries no MAC`);
    client.close();
    await loop;
    // a peer without the key is still refused
    const [c2, s2] = memoryPair();
    const [r1, r2] = await Promise.allSettled([
      clientHandshake(marked(c2, flag), { key: generateKey(), role: "client" }),
      serverHandshake(marked(s2, flag), { key, timeoutMs: 500 }),
    ]);
    assert.equal(r1.status, "rejected");
    assert.equal(r2.status, "rejected");
    assert.ok((r1 as PromiseRejectedResult).reason instanceof AuthenticationError);
  });
}

Deno.test("a client on a plain connection refuses a controller that skips MACs", async () => {
  const key = generateKey();
  // the controller claims TLS but the client's own connection is plain: refuse (downgrade)
  const [c2, s2] = memoryPair();
  const [r1] = await Promise.allSettled([
    clientHandshake(c2, { key, role: "client" }),
    serverHandshake(marked(s2, "encrypted"), { key, timeoutMs: 500 }),
  ]);
  assert.equal(r1.status, "rejected");
  assert.match(String((r1 as PromiseRejectedResult).reason), /unencrypted connection/);
});

Deno.test("the welcome's frame limits become the peer's: what it sends, accepts and waits for", async () => {
  const key = generateKey();
  const [a, b] = memoryPair();
  const limit = DEFAULT_MAX_FRAME_BYTES / 2 + 5;
  const [client, accepted] = await Promise.all([
    clientHandshake<M, M>(a, { key, role: "client" }),
    serverHandshake<M, M>(b, { key, peer: "p", maxFrameBytes: limit, frameTimeoutMs: 50 }),
  ]);
  assert.equal(client.sendLimit, limit, "the client sends no frame past the controller's limit");
  assert.equal(accepted.channel.sendLimit, limit + FRAME_SLACK_BYTES, "relays may carry more");
  // the controller stalls a frame: the client gives up after the controller's 50 ms
  const closed = client.run(() => {});
  await b.write(new Uint8Array([0, 0, 1, 244]));
  const error = await closed;
  assert(error instanceof TimeoutError, String(error));
  assert.match(error.message, /did not finish it within 51 ms/); // 50 + 500 bytes declared
  accepted.channel.close();
});

/**
 * Runs a client handshake against a hand-rolled controller whose welcome announces `limit` (its
 * proof covering `proven`, by default the same) and checks how the client refuses it.
 */
async function refusedWelcome(
  limit: unknown,
  proven: number | undefined,
  refusal: (e: Error) => boolean,
): Promise<void> {
  const key = generateKey();
  const [a, b] = memoryPair();
  const server = handRolledServer(b, key, () => new Uint8Array(0), limit, proven)
    .catch(() => null);
  await rejects(clientHandshake<M, M>(a, { key, role: "client" }), refusal);
  (await server)?.close();
}

Deno.test("clientHandshake() refuses a welcome without frame limits", async () => {
  await refusedWelcome(
    null,
    undefined,
    (e) => e instanceof ProtocolError && /no valid frame limits/.test(e.message),
  );
});

Deno.test("clientHandshake() refuses a welcome whose terms were altered after the controller proved them", async () => {
  // the controller proved a 1 MiB limit; the welcome that arrives says 512 MiB
  await refusedWelcome(
    512 * 1024 * 1024,
    1024 * 1024,
    (e) => e instanceof AuthenticationError && /altered on the way/.test(e.message),
  );
});

Deno.test("clientHandshake() refuses a welcome announcing limits past the protocol's", async () => {
  await refusedWelcome(
    4 * 1024 * 1024 * 1024,
    undefined,
    (e) => e instanceof ProtocolError && /no valid frame limits/.test(e.message),
  );
});

/** The first bytes a TLS server answers a plain-text hello with: a fatal alert record. */
const TLS_ALERT = new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]);
/** The start of a TLS ClientHello record (TLS 1.0 record version, as clients send it). */
const TLS_CLIENT_HELLO = new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]);

Deno.test("a plain client answered in TLS is told the controller speaks TLS, not FrameTooLargeError", async () => {
  for (const role of ["engine", "client"] as const) {
    for (const split of [TLS_ALERT.length, 1]) {
      const [a, b] = memoryPair();
      const p = clientHandshake(a, { key: generateKey(), role, keySource: "/p/stale.json" });
      for (let i = 0; i < TLS_ALERT.length; i += split) {
        await b.write(TLS_ALERT.slice(i, i + split));
      }
      await rejects(p, (e: unknown) => {
        assert.ok(e instanceof TransportMismatchError, String(e));
        assert.ok(isPermanentConnectError(e), "engines must stop, not retry");
        // the cause is the bytes seen, not a frame error advising to split data
        assert.ok(e.cause instanceof ProtocolError && !(e.cause instanceof FrameTooLargeError));
        assert.equal(
          e.cause.message,
          "the peer's first bytes (15 03 03 00) are the header of a TLS alert record, not the " +
            "length of an ipx frame",
        );
        assert.equal(
          e.message,
          `The controller speaks TLS but /p/stale.json says plain TCP ("transport": "tcp"): ` +
            `copy a fresh ipx-${role}.json from the controller's profile security dir ` +
            "(`ipx controller` prints its path when it starts)",
        );
        return true;
      });
    }
  }
});

Deno.test("a TLS ClientHello on a plain port is named in the controller's error and answered in plain", async () => {
  const [a, b] = memoryPair();
  const p = serverHandshake(b, { key: generateKey() });
  await a.write(TLS_CLIENT_HELLO);
  await rejects(p, (e: unknown) => {
    assert.ok(e instanceof TransportMismatchError, String(e));
    assert.match(
      e.message,
      /^A client or engine tried TLS on this plain-TCP \(--no-tls\) port: its connection file says "transport": "tls".*give it a fresh connection file from this controller's security dir/,
    );
    assert.ok(e.cause instanceof Error);
    assert.equal(
      e.cause.message,
      "the peer's first bytes (16 03 01 02) are the header of a TLS handshake record, not the " +
        "length of an ipx frame",
    );
    return true;
  });
  // the reply is a plain ipx frame, so the peer's TLS library fails at once ("not TLS")
  const reply = await new FramedConn(a).readFrame();
  assert.ok(reply);
  assert.deepEqual(
    (decodeValue(reply) as { type: string; reason: string }).type,
    "reject",
  );
});

/** A frame too large before authentication: named as such, without the --max-frame-mb advice. */
function preAuthTooLarge(e: unknown): boolean {
  assert(e instanceof ProtocolError && e.cause instanceof FrameTooLargeError, String(e));
  assert.match(
    e.message,
    /exceeds the limit of 4096 bytes before authentication while waiting for hello: .*this limit is fixed/,
  );
  return true;
}

Deno.test("TLS-looking bytes inside a TLS or local connection stay a frame error", async () => {
  for (const flag of ["encrypted", "local"] as const) {
    const [a, b] = memoryPair();
    const p = serverHandshake(marked(b, flag), { key: generateKey() });
    await a.write(TLS_CLIENT_HELLO);
    await rejects(p, preAuthTooLarge);
  }
  // and a frame merely too large is not mistaken for TLS
  const [a, b] = memoryPair();
  const p = serverHandshake(b, { key: generateKey() });
  await a.write(new Uint8Array([0x16, 0x04, 0x00, 0x00]));
  await rejects(p, preAuthTooLarge);
});

Deno.test("a controller that accepts but never answers: the timeout says what it may be", async () => {
  const [a, _silent] = memoryPair(); // nothing reads or answers at the other end
  await rejects(
    clientHandshake(a, { key: generateKey(), role: "client", timeoutMs: 50 }),
    (e: unknown) => {
      assert(e instanceof TimeoutError, String(e));
      assert.match(
        e.message,
        /^Handshake with the controller did not complete within 50 ms; it accepted the connection but did not answer: it may be stopped \(SIGSTOP\), overloaded, or not an ipx controller/,
      );
      return true;
    },
  );
});
