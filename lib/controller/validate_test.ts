import assert, { throws } from "node:assert/strict";
import { ProtocolError } from "../protocol/errors.ts";
import { handlerFor, validateClientMessage, validateTask } from "./validate.ts";

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
