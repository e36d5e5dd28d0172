/**
 * A client's malformed task or query is refused by id while its connection stays up: closing
 * it made the client reconnect and submit the same task again, in a loop, until its reconnect
 * window ended, and the task then failed as lost instead of saying what was wrong.
 */
import assert from "node:assert/strict";
import { Session } from "../client/session.ts";
import { memoryPair } from "../protocol/memory_transport.ts";
import { Controller } from "./controller.ts";
import { ManualClock } from "./clock.ts";
import { generateKey } from "../protocol/auth.ts";
import { FakeEngine } from "../../tests/_helpers/fake_engine.ts";
import { decodeValue } from "../protocol/codec.ts";

async function setup() {
  const key = generateKey();
  const logged: string[] = [];
  const controller = new Controller({
    key,
    clock: new ManualClock(),
    log: (level, line) => void logged.push(`${level} ${line}`),
  });
  let connections = 0;
  const session = new Session({
    connect: () => {
      connections++;
      const [a, b] = memoryPair();
      void controller.accept(b, "client");
      return Promise.resolve(a);
    },
    key,
    keySource: "test",
    reconnectForMs: 60_000, // a refusal that closed the link would start a reconnect loop
  });
  await session.open();
  return {
    key,
    controller,
    session,
    logged,
    connections: () => connections,
    async [Symbol.asyncDispose]() {
      await session.close();
      await controller.close();
    },
  };
}

Deno.test("a malformed task fails at once with what is wrong; its good neighbours run; the link stays", async () => {
  await using s = await setup();
  const eng = new FakeEngine();
  await eng.connect(s.controller, s.key);
  // one submit message carries both: a bad engine id, and a good task for engine 0
  const [bad, good] = s.session.submit([
    { engineId: -1, op: { kind: "execute", code: "1" } },
    { engineId: 0, op: { kind: "execute", code: "2" } },
  ]);
  const refused = await bad!.done;
  assert.equal(refused.ok, false);
  assert.equal(refused.error?.ename, "ProtocolError");
  assert.match(refused.error!.evalue, /refused it as malformed, so nothing ran: .*engineId/);
  const run = await eng.next("run");
  assert.equal(run.msgId, good!.msgId);
  eng.result(run.msgId, 2);
  const done = await good!.done;
  assert.equal(decodeValue(done.value!), 2);
  assert.equal(s.connections(), 1, "the client never reconnected");
  assert.ok(!s.logged.some((l) => /client \d+ disconnected/.test(l)), s.logged.join("\n"));
  assert.ok(
    s.logged.some((l) =>
      /^warn client \d+: refused 1 malformed task\(s\) \(first: .*engineId/.test(l)
    ),
    s.logged.join("\n"),
  );
  // the session is still usable on the same connection
  const answer = await s.session.query({ kind: "queue_status" });
  assert.ok(answer !== null && typeof answer === "object");
  assert.equal(s.connections(), 1);
});

Deno.test("a malformed query is answered with an error by reqId; the link stays", async () => {
  await using s = await setup();
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    s.session.query(null as any),
    /Controller refused the request: ProtocolError: .*refused it as malformed/,
  );
  assert.equal(s.connections(), 1);
  await s.session.query({ kind: "queue_status" });
  assert.equal(s.connections(), 1);
});
