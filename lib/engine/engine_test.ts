import assert from "node:assert/strict";
import {
  AuthenticationError,
  ConnectionError,
  TransportMismatchError,
} from "../protocol/errors.ts";
import { generateKey } from "../protocol/auth.ts";
import { serverHandshake } from "../protocol/handshake.ts";
import { memoryPair } from "../protocol/memory_transport.ts";
import type { ControllerToEngine, EngineToController } from "../protocol/messages.ts";
import { Engine } from "./engine.ts";
import type { Executor } from "./executor.ts";

/** What a TLS controller answers a plain-text hello with: a fatal TLS alert record. */
const TLS_ALERT = new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]);

Deno.test("an engine whose file says plain TCP to a TLS controller stops at once instead of retrying", async () => {
  let attempts = 0;
  const logs: string[] = [];
  const engine = new Engine({
    connect: async () => {
      attempts++;
      const [a, b] = memoryPair();
      await b.write(TLS_ALERT);
      return a;
    },
    key: generateKey(),
    keySource: "/p/ipx-engine.json",
    executor: {} as Executor, // never reached: the engine does not get past the handshake
    dataDir: "/nonexistent",
    log: (m) => logs.push(m),
    minBackoffMs: 1,
    maxBackoffMs: 1,
    giveUpAfterMs: 500, // what a retrying engine would end with
  });
  const error = await engine.start().then(() => undefined, (e: unknown) => e);
  assert.ok(
    error instanceof TransportMismatchError,
    `expected TransportMismatchError, got ${error}`,
  );
  assert.ok(error instanceof ConnectionError);
  assert.match(error.message, /speaks TLS but \/p\/ipx-engine\.json says plain TCP/);
  assert.equal(attempts, 1);
  assert.deepEqual(logs, []);
  await engine.done;
});

Deno.test("an engine whose controller's pings stop coming beats on its own, and drops a silent link", async () => {
  const key = generateKey();
  const pongs: number[] = [];
  const twoBeats = Promise.withResolvers<void>();
  const reconnected = Promise.withResolvers<void>();
  let attempts = 0;
  const engine = new Engine({
    connect: () => {
      if (++attempts === 2) reconnected.resolve();
      const [a, b] = memoryPair();
      void (async () => {
        const { channel } = await serverHandshake<ControllerToEngine, EngineToController>(b, {
          key,
          peer: "fake controller",
        });
        await channel.run((m) => {
          if (m.type === "register") {
            // pings every 50 ms are promised, and none ever comes (stuck behind a big message)
            channel.send({
              type: "registered",
              engineId: 0,
              heartbeatMs: 50,
              deadAfterMs: 1000, // the link is given up after 2 s of nothing: room for a slow loop
              resumed: false,
            });
          } else if (m.type === "pong") {
            pongs.push(m.t);
            if (pongs.length === 2) twoBeats.resolve();
          }
        });
      })();
      return Promise.resolve(a);
    },
    key,
    keySource: "memory",
    executor: { close: () => Promise.resolve() } as unknown as Executor,
    dataDir: "/nonexistent",
    log: () => {},
    minBackoffMs: 1,
    maxBackoffMs: 1,
  });
  const started = engine.start();
  // unasked, before the link is given up: the controller hears from it though its pings are late
  await Promise.race([twoBeats.promise, reconnected.promise]);
  assert.deepEqual(pongs.slice(0, 2), [0, 0]);
  await reconnected.promise; // nothing at all arrived for 2 s: the link is dropped
  await engine.stop();
  await started.catch(() => {});
  await engine.done;
});

Deno.test("an engine that registered and then meets a controller with another key: done rejects with the AuthenticationError", async () => {
  const key = generateKey();
  const keys = [key, generateKey()]; // the second controller was restarted with a new key
  let attempts = 0;
  const engine = new Engine({
    connect: () => {
      const serverKey = keys[Math.min(attempts++, 1)]!;
      const [a, b] = memoryPair();
      void (async () => {
        const { channel } = await serverHandshake<ControllerToEngine, EngineToController>(b, {
          key: serverKey,
          peer: "fake controller",
        });
        await channel.run((m) => {
          if (m.type !== "register") return;
          channel.send({
            type: "registered",
            engineId: 0,
            heartbeatMs: 60_000,
            deadAfterMs: 60_000,
            resumed: false,
          });
          channel.close(); // the controller goes away right after: the engine reconnects
        });
      })().catch(() => {}); // the second handshake fails on this side too
      return Promise.resolve(a);
    },
    key,
    keySource: "/p/ipx-engine.json",
    executor: { close: () => Promise.resolve() } as unknown as Executor,
    dataDir: "/nonexistent",
    log: () => {},
    minBackoffMs: 1,
    maxBackoffMs: 1,
  });
  assert.equal(await engine.start(), 0);
  const error = await engine.done.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof AuthenticationError, `expected AuthenticationError, got ${error}`);
  assert.equal(attempts, 2, "retrying cannot help: no third attempt");
  await engine.stop();
});
