import assert from "node:assert/strict";
import { generateKey } from "./auth.ts";
import { objectBudget } from "./channel.ts";
import { ProtocolError } from "./errors.ts";
import { clientHandshake, serverHandshake } from "./handshake.ts";
import { memoryPair } from "./memory_transport.ts";

type M = { type: string; n?: number; tasks?: unknown[] };

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
