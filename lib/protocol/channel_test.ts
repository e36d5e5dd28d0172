import assert from "node:assert/strict";
import { generateKey } from "./auth.ts";
import { coalesce, objectBudget } from "./channel.ts";
import { MessageTooLargeError, ProtocolError } from "./errors.ts";
import { clientHandshake, serverHandshake } from "./handshake.ts";
import { memoryPair } from "./memory_transport.ts";

type M = { type: string; n?: number; tasks?: unknown[] };

/** A client channel and the server side it reached, over an in-memory link (MACs on). */
async function connectedPair() {
  const key = generateKey();
  const [a, b] = memoryPair();
  const [client, accepted] = await Promise.all([
    clientHandshake<M, M>(a, { key, role: "client" }),
    serverHandshake<M, M>(b, { key, peer: "p" }),
  ]);
  return { client, accepted };
}

Deno.test("objectBudget() allows one object per 8 body bytes, within 4096 and 2 million", () => {
  assert.equal(objectBudget(10), 4096);
  assert.equal(objectBudget(800_000), 100_000);
  assert.equal(objectBudget(64 * 1024 * 1024), 2_000_000);
});

Deno.test("Channel.run() accepts a large legitimate batch and refuses a frame of empty maps", async () => {
  const key = generateKey();
  const [a, b] = memoryPair();
  const [client, accepted] = await Promise.all([
    clientHandshake<M, M>(a, { key, role: "client" }),
    serverHandshake<M, M>(b, { key, peer: "10.0.0.9:1234" }),
  ]);
  const got: M[] = [];
  const first = Promise.withResolvers<void>();
  const closed = accepted.channel.run((m) => {
    got.push(m);
    if (got.length === 20_000) first.resolve();
  });
  // 20 000 task-like messages in one frame (one tick): about 5 objects each
  for (let i = 0; i < 20_000; i++) {
    client.send({
      type: "submit",
      tasks: [{ msgId: `m${i}`, op: { kind: "apply", fn: "(x) => x", args: new Uint8Array(8) } }],
    });
  }
  await first.promise;
  // then a batch of 100 000 empty objects: 1 byte each on the wire
  for (let i = 0; i < 100_000; i++) client.send({} as M);
  const error = await closed;
  assert.ok(error instanceof ProtocolError, String(error));
  assert.match(error.message, /^10\.0\.0\.9:1234: Cannot decode message: it holds more than/);
  client.close();
});

Deno.test("coalesce() joins runs of small parts and leaves big parts as they are", () => {
  const big = new Uint8Array(100_000).fill(7);
  const a = new Uint8Array([1, 2]);
  const b = new Uint8Array([3]);
  const out = coalesce([a, b, big, b, a]);
  assert.equal(out.length, 3);
  assert.deepEqual([...out[0]!], [1, 2, 3]);
  assert.equal(out[1], big);
  assert.deepEqual([...out[2]!], [3, 1, 2]);
  assert.deepEqual(coalesce([a]), [a]);
  assert.deepEqual(coalesce([]), []);
});

Deno.test("Channel sends big binary values in frames of several parts, signed as a whole", async () => {
  const key = generateKey();
  const [a, b] = memoryPair(); // plain: every frame carries a MAC
  const [client, accepted] = await Promise.all([
    clientHandshake<M, M & { data?: Uint8Array }>(a, { key, role: "client" }),
    serverHandshake<M & { data?: Uint8Array }, M>(b, { key, peer: "p" }),
  ]);
  const data = crypto.getRandomValues(new Uint8Array(60_000));
  const big = new Uint8Array(300_000);
  for (let i = 0; i < 5; i++) big.set(data, i * 60_000);
  const got: (M & { data?: Uint8Array })[] = [];
  const done = Promise.withResolvers<void>();
  client.run((m) => {
    got.push(m);
    if (got.length === 3) done.resolve();
  });
  accepted.channel.send({ type: "one", data: big });
  accepted.channel.send({ type: "two", n: 2, data: big.subarray(1000) });
  await accepted.channel.flush();
  accepted.channel.send({ type: "three" });
  await done.promise;
  assert.deepEqual(got.map((m) => m.type), ["one", "two", "three"]);
  assert.deepEqual(got[0]!.data, big);
  assert.deepEqual(got[1]!.data, big.subarray(1000));
  client.close();
  accepted.channel.close();
});

Deno.test("Channel calls beforeFlush once per frame, before the frame is written", async () => {
  const key = generateKey();
  const [a, b] = memoryPair();
  const order: string[] = [];
  const [client, accepted] = await Promise.all([
    clientHandshake<M, M>(a, { key, role: "client" }),
    serverHandshake<M, M>(b, { key, peer: "p", beforeFlush: () => order.push("commit") }),
  ]);
  const got = Promise.withResolvers<void>();
  client.run((m) => {
    order.push(`got ${m.type}`);
    if (m.type === "c") got.resolve();
  });
  accepted.channel.send({ type: "a" });
  accepted.channel.send({ type: "b" });
  await accepted.channel.flush();
  accepted.channel.send({ type: "c" });
  await got.promise;
  assert.deepEqual(order, ["commit", "got a", "got b", "commit", "got c"]);
  client.close();
  accepted.channel.close();
});

Deno.test("Channel.written() resolves once queued messages are written, without an early frame", async () => {
  const key = generateKey();
  const [a, b] = memoryPair();
  let frames = 0;
  const [client, accepted] = await Promise.all([
    clientHandshake<M, M>(a, { key, role: "client" }),
    serverHandshake<M, M>(b, { key, peer: "p", beforeFlush: () => frames++ }),
  ]);
  await accepted.channel.written(); // nothing queued
  assert.equal(frames, 0);
  const got: string[] = [];
  const three = Promise.withResolvers<void>();
  client.run((m) => {
    got.push(m.type);
    if (got.length === 3) three.resolve();
  });
  accepted.channel.send({ type: "a" });
  const first = accepted.channel.written();
  accepted.channel.send({ type: "b" }); // same round: same frame
  await first;
  assert.equal(frames, 1, "one frame for both, not one forced by written()");
  accepted.channel.send({ type: "c" });
  await accepted.channel.written();
  assert.equal(frames, 2);
  await three.promise;
  assert.deepEqual(got, ["a", "b", "c"]);
  client.close();
  accepted.channel.close();
  await accepted.channel.written(); // a closed channel answers at once
});

Deno.test("Channel.close() right after send() still delivers the message", async () => {
  const { client, accepted } = await connectedPair();
  const got: string[] = [];
  const ended = client.run((m) => got.push(m.type));
  accepted.channel.send({ type: "bye" });
  accepted.channel.close();
  assert.equal(await ended, undefined);
  assert.deepEqual(got, ["bye"]);
});

Deno.test("Channel.run() tells whether a message was alone in its frame", async () => {
  const { client, accepted } = await connectedPair();
  const got: string[] = [];
  const done = Promise.withResolvers<void>();
  client.run((m, alone) => {
    got.push(`${m.type}:${alone}`);
    if (m.type === "d") done.resolve();
  });
  accepted.channel.send({ type: "a" });
  await accepted.channel.flush();
  accepted.channel.send({ type: "b" });
  accepted.channel.send({ type: "c" });
  await accepted.channel.flush();
  accepted.channel.send({ type: "d" });
  await done.promise;
  assert.deepEqual(got, ["a:true", "b:false", "c:false", "d:true"]);
  client.close();
  accepted.channel.close();
});

Deno.test("Channel splits a batch past the peer's limit into frames it accepts, in order", async () => {
  const key = generateKey();
  const [a, b] = memoryPair();
  const limit = 64 * 1024;
  const [client, accepted] = await Promise.all([
    clientHandshake<M, M>(a, { key, role: "client" }),
    // the receiver refuses any frame over the limit (closing the channel)
    serverHandshake<M, M>(b, { key, peer: "p", maxFrameBytes: limit }),
  ]);
  assert.equal(client.sendLimit, limit, "learned from the welcome");
  const got: number[] = [];
  const all = Promise.withResolvers<void>();
  const closed = accepted.channel.run((m) => {
    got.push(m.n!);
    if (got.length === 5) all.resolve();
  });
  const tooBig: [number, number, number][] = [];
  client.onTooLarge = (m, bytes, max) => tooBig.push([m.n!, bytes, max]);
  const blob = (n: number) => ({ type: "blob", n, tasks: [new Uint8Array(n * 1024)] });
  // one tick: 30 + 30 + 100 + 20 + 40 + 1 KiB — one frame would be 221 KiB
  for (const n of [30, 30, 100, 20, 40, 1]) client.send(blob(n));
  await Promise.race([
    all.promise,
    closed.then((e) => assert.fail(`the receiver closed the channel: ${e}`)),
  ]);
  assert.deepEqual(got, [30, 30, 20, 40, 1]);
  assert.equal(tooBig.length, 1);
  assert.equal(tooBig[0]![0], 100);
  assert.ok(tooBig[0]![1] > 100 * 1024 && tooBig[0]![1] < 101 * 1024, String(tooBig[0]![1]));
  assert.equal(tooBig[0]![2], limit);
  client.close();
  assert.equal(await closed, undefined, "no frame was refused");
});

Deno.test("Channel reports a message too large for the peer by default, naming sizes and the fix", async () => {
  const errors: unknown[] = [];
  const reported = Promise.withResolvers<void>();
  const key = generateKey();
  const [a, b] = memoryPair();
  const [c2, acc2] = await Promise.all([
    clientHandshake<M, M>(a, {
      key,
      role: "client",
      onHandlerError: (e) => {
        errors.push(e);
        reported.resolve();
      },
    }),
    serverHandshake<M, M>(b, { key, peer: "p", maxFrameBytes: 1024 }),
  ]);
  c2.send({ type: "blob", tasks: [new Uint8Array(4096)] });
  await reported.promise;
  assert.ok(errors[0] instanceof MessageTooLargeError);
  assert.match(
    (errors[0] as Error).message,
    /^A "blob" message of 0\.0 MiB for the controller was not sent: .* at most 0\.0 MiB .*--max-frame-mb/,
  );
  assert.equal((errors[0] as MessageTooLargeError).limit, 1024);
  c2.close();
  acc2.channel.close();
});

Deno.test("Channel.lastPending() is the last message not yet written, until the frame goes out", async () => {
  const { client, accepted } = await connectedPair();
  assert.equal(client.lastPending(), undefined);
  const a = { type: "a" };
  const b = { type: "b", n: 1 };
  client.send(a);
  client.send(b);
  assert.equal(client.lastPending(), b);
  b.n = 2; // still in the batch: what is written is what it holds at the end of the round
  const got: M[] = [];
  const two = Promise.withResolvers<void>();
  void accepted.channel.run((m) => {
    got.push(m);
    if (got.length === 2) two.resolve();
  });
  await client.flush();
  assert.equal(client.lastPending(), undefined);
  await two.promise;
  assert.deepEqual(got, [{ type: "a" }, { type: "b", n: 2 }]);
  client.close();
  accepted.channel.close();
});
