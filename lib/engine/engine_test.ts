import assert from "node:assert/strict";
import { ConnectionError, TransportMismatchError } from "../protocol/errors.ts";
import { generateKey } from "../protocol/auth.ts";
import { memoryPair } from "../protocol/memory_transport.ts";
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
