import assert from "node:assert/strict";
import { Client } from "../client/client.ts";
import { Controller } from "../controller/controller.ts";
import { generateKey } from "../protocol/auth.ts";
import { type Accepted, clientHandshake, serverHandshake } from "../protocol/handshake.ts";
import { memoryPair } from "../protocol/memory_transport.ts";
import { ConnectionError } from "../protocol/errors.ts";
import type {
  ClientToController,
  ControllerToClient,
  ControllerToEngine,
  EngineToController,
} from "../protocol/messages.ts";
import { ExitReporter } from "./exit_reporter.ts";

Deno.test("ExitReporter delivers reports made while the controller was unreachable", async () => {
  const key = generateKey();
  await using controller = new Controller({ key, deadAfterMs: 60_000 });
  const link = () => {
    const [a, b] = memoryPair();
    void controller.accept(b, "memory");
    return a;
  };
  // an engine that registers, then goes quiet (its process "died")
  const engine = await clientHandshake<EngineToController, ControllerToEngine>(link(), {
    key,
    role: "engine",
  });
  void engine.run(() => {});
  engine.send({
    type: "register",
    uuid: "u1",
    pid: 99,
    host: "h",
    dataDir: "/d",
    denoVersion: "x",
  });
  await using client = await Client.connectWith({ connect: () => Promise.resolve(link()), key });
  await client.waitForEngines(1);
  const gone = Promise.withResolvers<string>();
  client.onEngine((e) => e.type === "unregistered" && gone.resolve(e.reason));
  let attempts = 0;
  await using reporter = new ExitReporter({
    connect: () => {
      // the first two attempts fail: the report waits for the link
      if (++attempts <= 2) return Promise.reject(new ConnectionError("down"));
      return Promise.resolve(link());
    },
    key,
    keySource: "memory",
  });
  reporter.report({ pid: 99, host: "h", how: "killed by signal SIGKILL" });
  engine.close();
  assert.equal(await gone.promise, "its process ended: killed by signal SIGKILL");
  assert.equal(attempts, 3);
  assert.deepEqual(client.ids, []);
});

Deno.test("ExitReporter.close() does not wait for an unreachable controller", async () => {
  const reporter = new ExitReporter({
    connect: (signal) =>
      new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
    key: generateKey(),
    keySource: "memory",
  });
  reporter.report({ pid: 1, host: "h", how: "exit code 1" });
  await reporter.close(); // resolves: the pending attempt is aborted
});

Deno.test("ExitReporter sends reports of registered engines again to every new connection", async () => {
  const key = generateKey();
  /** What each connection (one per controller "life") received, and a wait for a count. */
  const lives: { got: ClientToController[]; want: number; reached: () => void }[] = [];
  const servers: Accepted<ControllerToClient, ClientToController>[] = [];
  const reached = (life: number, count: number) => {
    const { promise, resolve } = Promise.withResolvers<void>();
    const l = lives[life]!;
    l.want = count;
    l.reached = resolve;
    if (l.got.length >= count) resolve();
    return promise;
  };
  const lifeStarted: Array<PromiseWithResolvers<void>> = [
    Promise.withResolvers(),
    Promise.withResolvers(),
  ];
  const reporter = new ExitReporter({
    connect: () => {
      const [a, b] = memoryPair();
      const life = { got: [] as ClientToController[], want: Infinity, reached: () => {} };
      const n = lives.push(life) - 1;
      void serverHandshake<ControllerToClient, ClientToController>(b, { key, peer: "p" }).then(
        (accepted) => {
          servers.push(accepted);
          lifeStarted[n]?.resolve();
          void accepted.channel.run((m) => {
            life.got.push(m);
            if (life.got.length >= life.want) life.reached();
          });
        },
      );
      return Promise.resolve(a);
    },
    key,
    keySource: "memory",
  });
  try {
    await lifeStarted[0]!.promise;
    reporter.report({ engineId: 3, pid: 7, host: "h", how: "killed by signal SIGKILL" });
    reporter.report({ pid: 8, host: "h", how: "exit code 1" }); // never registered: sent once
    await reached(0, 2);
    servers[0]!.channel.close(); // the controller dies right after reading them
    await lifeStarted[1]!.promise;
    await reached(1, 1);
    assert.deepEqual(
      lives[1]!.got.map((m) => m.type === "engine_exited" ? [m.engineId, m.pid] : m.type),
      [[3, 7]],
    );
  } finally {
    await reporter.close();
    for (const s of servers) s.channel.close();
  }
});

Deno.test("ExitReporter with a wrong key says to copy a fresh ipx-engine.json, not the client file", async () => {
  const logged = Promise.withResolvers<string>();
  const servers: Promise<unknown>[] = [];
  await using _reporter = new ExitReporter({
    connect: () => {
      const [a, b] = memoryPair();
      servers.push(serverHandshake(b, { key: generateKey(), peer: "memory" }).catch(() => {}));
      return Promise.resolve(a);
    },
    key: generateKey(),
    keySource: "/nodes/n1/ipx-engine.json",
    log: (line) => logged.resolve(line),
  });
  const line = await logged.promise;
  assert.match(
    line,
    /^cannot report engine exits to the controller: .*the key in \/nodes\/n1\/ipx-engine\.json does not match the controller's: copy a fresh ipx-engine\.json from/,
  );
  assert.doesNotMatch(line, /ipx-client\.json/);
  await Promise.all(servers);
});
