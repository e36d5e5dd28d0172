/**
 * Fakes for driving a {@linkcode Controller} deterministically in tests: a manual clock, a
 * client over in-memory connections, and scripted fake engines that speak the engine protocol.
 *
 * @module
 */
import { Client } from "../../lib/client/client.ts";
import type { Channel } from "../../lib/protocol/channel.ts";
import { encodeValue } from "../../lib/protocol/codec.ts";
import { generateKey } from "../../lib/protocol/auth.ts";
import { clientHandshake } from "../../lib/protocol/handshake.ts";
import { memoryPair } from "../../lib/protocol/memory_transport.ts";
import type {
  ClientToController,
  ControllerToClient,
  ControllerToEngine,
  EngineToController,
  MsgId,
} from "../../lib/protocol/messages.ts";
import { ManualClock } from "../../lib/controller/clock.ts";
import { Controller, type ControllerOptions } from "../../lib/controller/controller.ts";

/** A controller-to-engine message of one type. */
export type Msg<T extends ControllerToEngine["type"]> = Extract<ControllerToEngine, { type: T }>;

/** A scripted engine: registers, records what it receives, answers only when told. */
export class FakeEngine {
  readonly uuid: string;
  channel!: Channel<EngineToController, ControllerToEngine>;
  received: ControllerToEngine[] = [];
  /** Answer pings (a live engine) or not (a hung one). */
  autoPong = false;
  #waiters: { type: string; resolve: (m: ControllerToEngine) => void }[] = [];

  constructor(uuid = crypto.randomUUID()) {
    this.uuid = uuid;
  }

  async connect(
    controller: Controller,
    key: string,
    extra: { previousId?: number; running?: MsgId[]; finished?: MsgId[] } = {},
  ): Promise<Msg<"registered">> {
    const [a, b] = memoryPair();
    void controller.accept(b, "fake-engine");
    this.channel = await clientHandshake<EngineToController, ControllerToEngine>(a, {
      key,
      role: "engine",
    });
    this.received = [];
    void this.channel.run((m) => {
      if (m.type === "ping" && this.autoPong) {
        return this.channel.send({ type: "pong", t: m.t });
      }
      const waiter = this.#waiters.find((w) => w.type === m.type);
      if (!waiter) return void this.received.push(m);
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(m);
    });
    const registered = this.next("registered");
    this.channel.send({
      type: "register",
      uuid: this.uuid,
      pid: 4242,
      host: "fake",
      dataDir: "/tmp",
      denoVersion: "x",
      ...extra,
    });
    return await registered;
  }

  next<T extends ControllerToEngine["type"]>(type: T): Promise<Msg<T>> {
    const seen = this.received.find((m) => m.type === type);
    if (seen) {
      this.received.splice(this.received.indexOf(seen), 1);
      return Promise.resolve(seen as Msg<T>);
    }
    return new Promise((resolve) =>
      this.#waiters.push({ type, resolve: resolve as (m: ControllerToEngine) => void })
    );
  }

  result(msgId: MsgId, value: unknown): void {
    this.channel.send({
      type: "result",
      msgId,
      ok: true,
      value: encodeValue(value),
      executionCount: 1,
      started: 1,
      completed: 2,
    });
  }
}

/**
 * A controller with a manual clock (and fast liveness timing unless `liveness` is false) and a
 * client connected to it in memory; disposing closes both.
 */
export async function setup(options: Partial<ControllerOptions> = {}, liveness = true) {
  const key = options.key ?? generateKey();
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock();
  const controller = new Controller({
    key,
    clock,
    ...(liveness ? { heartbeatMs: 100, deadAfterMs: 600 } : {}),
    ...options,
  });
  const connect = () => {
    const [a, b] = memoryPair();
    void controller.accept(b, "client");
    return Promise.resolve(a);
  };
  const client = await Client.connectWith({ connect, key, reconnectForMs: 0 });
  return {
    key,
    clock,
    controller,
    client,
    async [Symbol.asyncDispose]() {
      await client.close();
      await controller.close();
    },
  };
}

/** Lets in-memory messages travel (they cross several promise hops). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
}

/** Sends what an engine supervisor sends when one of its engine processes ended. */
export async function reportExit(
  controller: Controller,
  key: string,
  engineId: number,
): Promise<void> {
  const [a, b] = memoryPair();
  void controller.accept(b, "supervisor");
  const ch = await clientHandshake<ClientToController, ControllerToClient>(a, {
    key,
    role: "client",
  });
  void ch.run(() => {});
  ch.send({ type: "engine_exited", engineId, pid: 4242, host: "fake", how: "killed by SIGKILL" });
  await ch.flush();
  ch.close();
}

/** Three load-balanced tasks held by engine 0 (retries 0), and a second engine to take them over. */
export async function threeHeld(c: Awaited<ReturnType<typeof setup>>) {
  const eng = new FakeEngine();
  await eng.connect(c.controller, c.key);
  await c.client.waitForEngines(1);
  const lv = c.client.loadBalancedView({ hwm: 3 }); // retries: 0
  const ars = [1, 2, 3].map((n) => lv.apply((x: number) => x, n));
  const runs = [await eng.next("run"), await eng.next("run"), await eng.next("run")];
  const other = new FakeEngine();
  other.autoPong = true;
  await other.connect(c.controller, c.key);
  return { eng, other, ars, runs };
}
