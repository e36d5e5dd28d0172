import assert from "node:assert/strict";
import { Client } from "../client/client.ts";
import { Controller } from "../controller/controller.ts";
import { generateKey } from "../protocol/auth.ts";
import { clientHandshake } from "../protocol/handshake.ts";
import { memoryPair } from "../protocol/memory_transport.ts";
import { ConnectionError } from "../protocol/errors.ts";
import type { ControllerToEngine, EngineToController } from "../protocol/messages.ts";
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
