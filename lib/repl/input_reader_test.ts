import assert from "node:assert/strict";
import {
  cancelInput,
  type Cell,
  endInput,
  INITIAL_READER_STATE,
  promptText,
  type ReaderState,
  readLine,
  toggleAutopx,
  typingEngineCode,
} from "./input_reader.ts";
import { isIncomplete } from "./ts_source.ts";

/** Feeds lines; returns the cells completed and the final state. */
function feed(lines: string[], start: ReaderState = INITIAL_READER_STATE) {
  let state = start;
  const cells: Cell[] = [];
  for (const line of lines) {
    const step = readLine(state, line, isIncomplete);
    state = step.state;
    if (step.cell) cells.push(step.cell);
  }
  return { state, cells };
}

Deno.test("readLine() turns complete lines into local code cells", () => {
  const { cells, state } = feed(["let x = 1", "", "x + 1"]);
  assert.deepEqual(cells, [
    { kind: "code", where: "local", code: "let x = 1" },
    { kind: "code", where: "local", code: "x + 1" },
  ]);
  assert.equal(state.pending.kind, "none");
});

Deno.test("readLine() continues incomplete code until it is complete", () => {
  const { cells, state } = feed(["function f() {", "  return 2", "}"]);
  assert.deepEqual(cells, [{
    kind: "code",
    where: "local",
    code: "function f() {\n  return 2\n}",
  }]);
  assert.equal(state.pending.kind, "none");
  const open = feed(["const a = [", "1,"]);
  assert.deepEqual(open.cells, []);
  assert.deepEqual(open.state.pending, { kind: "code", lines: ["const a = [", "1,"] });
});

Deno.test("readLine() reads line magics and collects %%px bodies until an empty line", () => {
  const { cells } = feed(["%px 1+1", "%%px --noblock", "let a = 1", "a", "", "%engines"]);
  assert.deepEqual(cells, [
    { kind: "magic", name: "%px", rest: "1+1" },
    { kind: "magic", name: "%%px", rest: "--noblock", body: "let a = 1\na" },
    { kind: "magic", name: "%engines", rest: "" },
  ]);
});

Deno.test("readLine() marks unparsable magic lines invalid", () => {
  assert.deepEqual(feed(["%1x"]).cells, [{ kind: "invalid", text: "%1x" }]);
});

Deno.test("readLine() sends plain input to the engines in autopx mode, magics stay magics", () => {
  const { cells } = feed(["x = 2", "%autopx"], toggleAutopx(INITIAL_READER_STATE));
  assert.deepEqual(cells, [
    { kind: "code", where: "engines", code: "x = 2" },
    { kind: "magic", name: "%autopx", rest: "" },
  ]);
});

Deno.test("endInput() completes what is pending", () => {
  assert.deepEqual(endInput(feed(["%%px", "1"]).state).cell, {
    kind: "magic",
    name: "%%px",
    rest: "",
    body: "1",
  });
  assert.deepEqual(endInput(feed(["f(1,"]).state).cell, {
    kind: "code",
    where: "local",
    code: "f(1,",
  });
  assert.equal(endInput(INITIAL_READER_STATE).cell, undefined);
});

Deno.test("cancelInput() drops the pending cell and keeps the mode", () => {
  const state = cancelInput(feed(["if (x) {"], toggleAutopx(INITIAL_READER_STATE)).state);
  assert.deepEqual(state, { mode: "autopx", pending: { kind: "none" } });
});

Deno.test("promptText() shows the cell number, the mode and continuation", () => {
  assert.equal(promptText(INITIAL_READER_STATE, 3), "In [3]: ");
  const auto = toggleAutopx(INITIAL_READER_STATE);
  assert.equal(promptText(auto, 12), "[autopx] In [12]: ");
  assert.equal(promptText(feed(["f(", ""]).state, 3), "   ...: ");
  assert.equal(promptText(feed(["(", ""], auto).state, 12).length, "[autopx] In [12]: ".length);
});

Deno.test("readLine() keeps an empty line inside unfinished %%px code in the body", () => {
  const { cells } = feed(["%%px -t 0", "function ff() {", "", "  return 1", "}", "ff()", "", "2"]);
  assert.deepEqual(cells, [
    { kind: "magic", name: "%%px", rest: "-t 0", body: "function ff() {\n\n  return 1\n}\nff()" },
    { kind: "code", where: "local", code: "2" },
  ]);
});

Deno.test("typingEngineCode() is true in %%px bodies and in autopx mode", () => {
  assert.equal(typingEngineCode(INITIAL_READER_STATE), false);
  assert.equal(typingEngineCode(feed(["%%px"]).state), true);
  assert.equal(typingEngineCode(toggleAutopx(INITIAL_READER_STATE)), true);
});
