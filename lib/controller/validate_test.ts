import assert, { throws } from "node:assert/strict";
import { ProtocolError } from "../protocol/errors.ts";
import {
  describeRefusal,
  handlerFor,
  screenClientMessage,
  validateClientMessage,
  validateTask,
} from "./validate.ts";

const good = { msgId: "a-1", engineId: 0, op: { kind: "execute", code: "1" } };

Deno.test("validateTask() accepts well-formed tasks and names the bad field otherwise", () => {
  validateTask(good);
  validateTask({
    msgId: "b",
    op: { kind: "apply", fn: "(x)=>x", args: new Uint8Array(1) },
    lb: { retries: 2, after: ["a"] },
  });
  throws(() => validateTask({ ...good, msgId: 5 }), /msgId/);
  throws(() => validateTask({ ...good, engineId: -1 }), /engineId/);
  throws(() => validateTask({ ...good, label: {} }), /label/);
  throws(() => validateTask({ ...good, op: { kind: "constructor" } }), /known kind/);
  throws(() => validateTask({ ...good, op: { kind: "execute" } }), /code/);
  throws(() => validateTask({ ...good, lb: { retries: "x" } }), /retries/);
  throws(() => validateTask({ ...good, lb: { targets: [1.5] } }), /targets/);
  throws(() => validateTask(null), ProtocolError);
});

Deno.test("validateClientMessage() checks lists and handlerFor() refuses inherited keys", () => {
  validateClientMessage({ type: "submit", tasks: [good] });
  throws(() => validateClientMessage({ type: "submit", tasks: {} }), /task list/);
  throws(() => validateClientMessage({ type: "abort", msgIds: [1] }), /task ids/);
  const table = { ping: () => 1 };
  assert.equal(handlerFor(table, "ping")(), 1);
  throws(() => handlerFor(table, "constructor"), /unknown message type/);
  throws(() => handlerFor(table, "__proto__"), /unknown message type/);
});

Deno.test("screenClientMessage() refuses a submit's bad tasks by id and lets its good ones on", () => {
  const bad = { ...good, msgId: "a-2", engineId: -1 };
  const s = screenClientMessage({ type: "submit", tasks: [good, bad] });
  assert.deepEqual(s.handle, { type: "submit", tasks: [good] });
  assert.equal(s.refusedTasks.length, 1);
  assert.equal(s.refusedTasks[0]!.msgId, "a-2");
  assert.match(s.refusedTasks[0]!.reason, /engineId is not an id/);
  // only bad tasks: nothing to handle
  assert.equal(screenClientMessage({ type: "submit", tasks: [bad] }).handle, undefined);
  // all good: the message itself
  const msg = { type: "submit", tasks: [good] };
  const ok = screenClientMessage(msg);
  assert.equal(ok.handle, msg);
  assert.deepEqual(ok.refusedTasks, []);
});

Deno.test("screenClientMessage() answers a bad query by reqId; what has no usable id still throws", () => {
  const q = screenClientMessage({ type: "query", reqId: 7, query: null });
  assert.equal(q.handle, undefined);
  assert.equal(q.refusedQuery?.reqId, 7);
  assert.match(q.refusedQuery!.reason, /query/);
  throws(() => screenClientMessage({ type: "query", reqId: "7", query: {} }), ProtocolError);
  throws(() => screenClientMessage({ type: "submit", tasks: [{ ...good, msgId: 5 }] }), /msgId/);
  throws(() => screenClientMessage({ type: "submit", tasks: [{ ...good, msgId: "" }] }), /msgId/);
  throws(() => screenClientMessage({ type: "submit", tasks: {} }), /task list/);
  throws(() => screenClientMessage({ type: "abort", msgIds: [1] }), /task ids/);
});

Deno.test("describeRefusal() quotes the client's task id, so it cannot forge log lines", () => {
  const screened = screenClientMessage({
    type: "submit",
    tasks: [{
      msgId: "t1\nerror controller: forged",
      engineId: -1,
      op: { kind: "execute", code: "" },
    }],
  });
  const line = describeRefusal(screened);
  assert.ok(!line.includes("\n"), line);
  assert.match(line, /^1 malformed task\(s\) \(first: "t1\\nerror controller: forged": .*engineId/);
  const query = screenClientMessage({ type: "query", reqId: 3, query: null });
  assert.match(describeRefusal(query), /^a malformed query \(.*query without reqId and query\)$/);
});
