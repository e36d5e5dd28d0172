import assert from "node:assert/strict";
import { CompositeError, RemoteError, trimStack } from "./errors.ts";

Deno.test("CompositeError names each failure's engine, and 'no engine' for a task never placed", () => {
  const onEngine = new RemoteError(
    { ename: "TypeError", evalue: "bad", stack: "", engineId: 1 },
    "a",
  );
  const unsent = new RemoteError(
    { ename: "MessageTooLarge", evalue: "too big", stack: "", engineId: -1 },
    "b",
  );
  const e = new CompositeError([onEngine, unsent], 3);
  assert.equal(
    e.message,
    "2 of 3 tasks failed (engines 1,no engine):\n  [1] TypeError: bad\n  [no engine] MessageTooLarge: too big",
  );
});

Deno.test("trimStack() keeps a user frame at line 1, column 1 (a ReferenceError on the first token)", () => {
  assert.equal(
    trimStack(
      "ReferenceError: undefinedName is not defined\n    at <anonymous>:1:1\n" +
        "    at perform (file:///ipx/lib/engine/worker.ts:1:1)",
    ),
    "ReferenceError: undefinedName is not defined\n    at <anonymous>:1:1",
  );
});
