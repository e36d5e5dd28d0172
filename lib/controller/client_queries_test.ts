import assert from "node:assert/strict";
import type { Query } from "../protocol/messages.ts";
import { answerQuery, type QueryContext } from "./client_queries.ts";
import { StateDb } from "./state_db.ts";
import { TaskStore } from "./task_store.ts";

function context(): QueryContext & { [Symbol.dispose](): void } {
  const sdb = new StateDb();
  const store = new TaskStore(sdb, { after: () => () => {} });
  return {
    engineInfos: () => [],
    engineQueues: () => new Map(),
    unassigned: () => 0,
    store,
    shutdown: () => [],
    [Symbol.dispose]: () => sdb.close(),
  };
}

Deno.test("queries naming tasks refuse anything but a list of ids, saying what they need", () => {
  using ctx = context();
  // a peer's message is not trusted to match the types: these reach the controller as sent
  const bad = [{ before: 5 }, "abc", [1, 2], null] as unknown[];
  for (const msgIds of bad) {
    assert.throws(
      () => answerQuery({ kind: "purge", msgIds } as unknown as Query, ctx),
      /^TypeError: purge needs a list of task ids \(strings\), got /,
    );
    assert.throws(
      () => answerQuery({ kind: "get_results", msgIds } as unknown as Query, ctx),
      /^TypeError: get_results needs a list of task ids \(strings\), got /,
    );
  }
  assert.equal(answerQuery({ kind: "purge", msgIds: [] }, ctx), 0);
  assert.equal(answerQuery({ kind: "purge", all: true }, ctx), 0);
  const [answer] = answerQuery({ kind: "get_results", msgIds: ["nope"] }, ctx) as [
    { msgId: string; missing: string },
  ];
  assert.equal(answer.msgId, "nope");
  assert.match(answer.missing, /no task with this id is known/);
});
