import assert from "node:assert/strict";
import { CompositeError, RemoteError } from "../client/errors.ts";
import { SerializationError } from "../protocol/errors.ts";
import { MagicUsageError } from "./errors.ts";
import { createPalette } from "./palette.ts";
import {
  formatCompositeSummary,
  formatEnginesTable,
  formatFailure,
  formatLocalError,
  formatOut,
  formatRemoteError,
} from "./render.ts";

const P = createPalette(false);

Deno.test("formatOut() shows values with Deno.inspect and skips undefined", () => {
  assert.equal(formatOut("0:1", 2, P), "Out[0:1]: 2\n");
  assert.equal(formatOut("3", "s", P), 'Out[3]: "s"\n');
  assert.equal(formatOut("1:2", null, P), "Out[1:2]: null\n");
  assert.equal(formatOut("1:2", undefined, P), "");
});

Deno.test("formatRemoteError() heads with [EID:execute] and keeps the user's frames", () => {
  const text = formatRemoteError({
    ename: "TypeError",
    evalue: "bad",
    remoteStack: "TypeError: bad\n    at f (<anonymous>:1:21)\n    at <anonymous>:2:1",
    engineId: 3,
  }, P);
  assert.equal(
    text,
    "[3:execute] TypeError: bad\n    at f (<anonymous>:1:21)\n    at <anonymous>:2:1\n",
  );
  assert.equal(
    formatRemoteError({ ename: "Error", evalue: "Uncaught 5", remoteStack: "", engineId: 0 }, P),
    "[0:execute] Error: Uncaught 5\n",
  );
});

Deno.test("formatCompositeSummary() sums up the errors of a cell run on several engines", () => {
  assert.equal(formatCompositeSummary([0, 1, 2], P), "CompositeError: 3 errors on engines 0,1,2\n");
  assert.equal(formatCompositeSummary([3], P, 4), "CompositeError: 1 error on engine 3\n");
  assert.equal(formatCompositeSummary([4], P), "", "one engine ran it: its error says it all");
  assert.equal(formatCompositeSummary([], P, 4), "");
});

Deno.test("formatLocalError() shows Uncaught errors without REPL frames", () => {
  const e = new RangeError("too big");
  e.stack =
    "RangeError: too big\n    at g (<anonymous>:1:5)\n    at post (ext:deno_node/inspector.js:1:2)" +
    "\n    at new Promise (<anonymous>)\n    at f (file:///x/lib/repl/local_evaluator.ts:1:1)";
  assert.equal(
    formatLocalError(e, P),
    "Uncaught RangeError: too big\n    at g (<anonymous>:1:5)\n",
  );
  assert.equal(formatLocalError(5, P), "Uncaught 5\n");
});

Deno.test("formatFailure() shows the name and message only", () => {
  assert.equal(formatFailure(new MagicUsageError("nope"), P), "UsageError: nope\n");
  assert.equal(formatFailure(new TypeError("t"), P), "TypeError: t\n");
  assert.equal(formatFailure("str", P), "Error: str\n");
});

Deno.test("formatEnginesTable() aligns columns and sorts by id", () => {
  const base = { state: "idle", queue: 0, registeredAt: 0 } as const;
  const text = formatEnginesTable([
    { ...base, id: 10, host: "h2", pid: 7, dataDir: "/d2", state: "busy", queue: 3 },
    { ...base, id: 2, host: "host-one", pid: 12345, dataDir: "/d1" },
  ]);
  assert.equal(
    text,
    "id  host      pid    data dir  state  queue\n" +
      "2   host-one  12345  /d1       idle   0\n" +
      "10  h2        7      /d2       busy   3\n",
  );
  assert.match(formatEnginesTable([]), /No engines are registered/);
});

Deno.test("formatOut() and formatLocalError() leave out ipx's own stack frames", () => {
  const returned = new Error("x");
  returned.stack = "Error: x\n    at <anonymous>:1:1\n" +
    "    at Session.post (ext:deno_node/inspector.js:1:3010)\n" +
    "    at evaluate (file:///x/lib/engine/worker.ts:309:10)";
  assert.equal(formatOut("0:1", returned, P), "Out[0:1]: Error: x\n    at <anonymous>:1:1\n");
  const syntax = new SyntaxError("Unexpected token (1:4)");
  syntax.stack = "SyntaxError: Unexpected token (1:4)\n" +
    "    at stripTypes (file:///x/lib/evaluate/typescript.ts:51:11)\n" +
    "    at LocalEvaluator.evaluate (file:///x/lib/repl/local_evaluator.ts:1:1)";
  assert.equal(formatLocalError(syntax, P), "Uncaught SyntaxError: Unexpected token (1:4)\n");
});

Deno.test("formatLocalError() shows a RemoteError's remote stack, not the client's frames", () => {
  const remote = (engineId: number) =>
    new RemoteError({
      ename: "RangeError",
      evalue: "bad",
      stack: "RangeError: bad\n    at boom (<anonymous>:1:27)\n" +
        "    at run (file:///x/lib/engine/worker.ts:9:1)",
      engineId,
    }, "m");
  const one = remote(0);
  one.stack = "RemoteError: RangeError on engine 0: bad\n    at Array.map (<anonymous>)";
  assert.equal(
    formatLocalError(one, P),
    "Uncaught RemoteError: RangeError on engine 0: bad\n    at boom (<anonymous>:1:27)\n",
  );
  assert.equal(
    formatLocalError(new CompositeError([remote(0), remote(2)], 3), P),
    "Uncaught CompositeError: 2 of 3 tasks failed (engines 0,2):\n" +
      "[0] RangeError: bad\n    at boom (<anonymous>:1:27)\n" +
      "[2] RangeError: bad\n    at boom (<anonymous>:1:27)\n",
  );
  const many = new CompositeError(Array.from({ length: 10 }, (_, i) => remote(i)), 10);
  assert.match(formatLocalError(many, P), /\[7\] RangeError[^]*\n… and 2 more \(their \.errors/);
});

Deno.test("formatLocalError() leaves out the frames of the packages ipx uses", () => {
  const e = new SerializationError("Cannot serialize a value of type symbol");
  e.stack = "SerializationError: Cannot serialize a value of type symbol\n" +
    "    at ExtensionCodec.tryToEncode (file:///root/.cache/deno/npm/registry.npmjs.org/" +
    "@msgpack/msgpack/3.1.3/dist.cjs/ExtensionCodec.cjs:51:30)\n" +
    "    at Encoder.encodeObject (file:///w/node_modules/.deno/@msgpack+msgpack@3.1.3/" +
    "node_modules/@msgpack/msgpack/dist.cjs/Encoder.cjs:271:41)\n" +
    "    at encode (file:///w/lib/protocol/codec.ts:1:1)\n" +
    "    at <anonymous>:1:10";
  assert.equal(
    formatLocalError(e, P),
    "Uncaught SerializationError: Cannot serialize a value of type symbol\n" +
      "    at <anonymous>:1:10\n",
  );
});
