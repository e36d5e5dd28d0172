import assert from "node:assert/strict";
import { trimOwnFrames } from "./own_frames.ts";

const ENGINE_STACK = [
  "Error: x",
  "    at f (<anonymous>:1:23)",
  "    at <anonymous>:1:44",
  "    at Session.post (ext:deno_node/inspector.js:1:3010)",
  "    at file:///work/main/lib/engine/worker.ts:178:15",
  "    at new Promise (<anonymous>)",
  "    at post (file:///work/main/lib/engine/worker.ts:175:10)",
  "    at evaluate (file:///work/main/lib/engine/worker.ts:309:10)",
  "    at drain (file:///work/main/lib/engine/worker.ts:161:13)",
].join("\n");

Deno.test("trimOwnFrames() keeps the user's frames and drops the engine's", () => {
  assert.equal(
    trimOwnFrames(ENGINE_STACK),
    "Error: x\n    at f (<anonymous>:1:23)\n    at <anonymous>:1:44",
  );
});

Deno.test("trimOwnFrames() trims each stack in a text, nested ones and coloured ones too", () => {
  const nested = `[\n  ${ENGINE_STACK.replaceAll("\n", "\n  ")}\n]`;
  assert.equal(
    trimOwnFrames(nested),
    "[\n  Error: x\n      at f (<anonymous>:1:23)\n      at <anonymous>:1:44\n]",
  );
  const coloured = "Error: c\n\x1b[90m    at <anonymous>:1:1\x1b[39m\n" +
    "\x1b[90m    at LocalEvaluator.evaluate (file:///x/lib/repl/local_evaluator.ts:1:1)\x1b[39m";
  assert.equal(trimOwnFrames(coloured), "Error: c\n\x1b[90m    at <anonymous>:1:1\x1b[39m");
});

Deno.test("trimOwnFrames() drops a syntax error's type-stripping frame and client frames", () => {
  assert.equal(
    trimOwnFrames("SyntaxError: bad\n    at stripTypes (file:///x/lib/evaluate/typescript.ts:5:1)"),
    "SyntaxError: bad",
  );
  assert.equal(
    trimOwnFrames(
      "Error: e\n    at DirectView.f (file:///x/lib/client/direct_view.ts:1:1)\n" +
        "    at <anonymous>:1:4\n    at eventLoopTick (ext:core/01_core.js:1:1)",
    ),
    "Error: e\n    at <anonymous>:1:4",
  );
});

Deno.test("trimOwnFrames() leaves text without ipx frames alone", () => {
  for (const text of ["", "plain", "look at this\n", "    at <anonymous>:1:1\n", "a\n\nb"]) {
    assert.equal(trimOwnFrames(text), text);
  }
});
