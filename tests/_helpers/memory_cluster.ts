/**
 * An in-process cluster for tests: a controller, N engines with real sandboxed executors and a
 * client, connected by in-memory transports (no sockets).
 *
 * @module
 */

import { Client } from "../../lib/client/client.ts";
import { type Clock, systemClock } from "../../lib/controller/clock.ts";
import { Controller } from "../../lib/controller/controller.ts";
import { Engine } from "../../lib/engine/engine.ts";
import { Executor } from "../../lib/engine/executor.ts";
import { generateKey } from "../../lib/protocol/auth.ts";
import { memoryPair } from "../../lib/protocol/memory_transport.ts";

/** A running in-memory cluster. */
export interface MemoryCluster extends AsyncDisposable {
  controller: Controller;
  engines: Engine[];
  client: Client;
  key: string;
  dataDir: string;
  /** Adds one more engine; resolves with it once registered. */
  addEngine(): Promise<Engine>;
  /** Opens another client. */
  newClient(key?: string): Promise<Client>;
}

/** Options of {@linkcode startMemoryCluster}. */
export interface MemoryClusterOptions {
  engines?: number;
  clock?: Clock;
  heartbeatMs?: number;
  deadAfterMs?: number;
  /** Wraps each engine's executor (tests that shape what the engine sees). */
  wrapExecutor?: (executor: Executor) => Executor;
}

/**
 * Starts controller + engines + client in memory.
 *
 * @param options Engine count and liveness timing.
 */
export async function startMemoryCluster(
  options: MemoryClusterOptions = {},
): Promise<MemoryCluster> {
  const key = generateKey();
  const dataDir = await Deno.makeTempDir({ prefix: "ipx-mem-" });
  const controller = new Controller({
    key,
    clock: options.clock ?? systemClock,
    heartbeatMs: options.heartbeatMs ?? 200,
    deadAfterMs: options.deadAfterMs ?? 2000,
  });
  const serving: Promise<void>[] = [];
  const connect = () => {
    const [a, b] = memoryPair();
    serving.push(controller.accept(b, "memory"));
    return Promise.resolve(a);
  };
  const engines: Engine[] = [];
  const clients: Client[] = [];
  async function addEngine(): Promise<Engine> {
    const created = await Executor.create({ dataDir });
    const executor = options.wrapExecutor ? options.wrapExecutor(created) : created;
    const engine = new Engine({ connect, key, keySource: "memory", executor, dataDir });
    engines.push(engine);
    await engine.start();
    return engine;
  }
  for (let i = 0; i < (options.engines ?? 2); i++) await addEngine();
  async function newClient(k = key): Promise<Client> {
    const c = await Client.connectWith({ connect, key: k, keySource: "memory" });
    clients.push(c);
    return c;
  }
  const client = await newClient();
  await client.waitForEngines(engines.length, { timeoutMs: 10_000 });
  return {
    controller,
    engines,
    client,
    key,
    dataDir,
    addEngine,
    newClient,
    async [Symbol.asyncDispose]() {
      for (const c of clients) await c.close();
      for (const e of engines) await e.stop();
      await controller.close();
      await Promise.allSettled(serving);
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
