import assert from "node:assert/strict";
import { join } from "node:path";
import { CaptureSink } from "../../tests/_helpers/repl_capture.ts";
import { startMemoryCluster } from "../../tests/_helpers/memory_cluster.ts";
import { withTempDir } from "../protocol/testing.ts";
import type { LineInput } from "./line_input.ts";
import { formatStartLine, runRepl } from "./run_repl.ts";

/** Scripted terminal input that records what the REPL asks it to remember. */
class ScriptedInput implements LineInput {
  remembered: string[] = [];
  #lines: string[];
  constructor(lines: string[]) {
    this.#lines = lines;
  }
  read(): Promise<string | null> {
    return Promise.resolve(this.#lines.shift() ?? null);
  }
  close(): void {}
  remember(source: string): void {
    this.remembered.push(source);
  }
}

Deno.test("runRepl() keeps each cell, not each line, in the history; a recalled cell runs whole", async () => {
  await withTempDir("ipx_run_repl_", async (dir) => {
    await using c = await startMemoryCluster({ engines: 1 });
    const historyFile = join(dir, "history");
    const input = new ScriptedInput([
      "function f() {",
      "  return 1",
      "}",
      "%%px",
      "6 * 7",
      "",
      "",
      "function g() {\n  return 2\n}", // recalled with the up arrow: one line with newlines
      "g() + f()",
    ]);
    const sink = new CaptureSink();
    const code = await runRepl({
      client: c.client,
      profile: "p",
      historyFile,
      input,
      sink,
      interactive: true,
    });
    assert.equal(code, 0);
    assert.equal(sink.text, formatStartLine([0], "p") + "Out[0:1]: 42\nOut[4]: 3\n\n");
    const cells = ["function f() {\n  return 1\n}", "%%px\n6 * 7", "function g() {\n  return 2\n}"];
    assert.deepEqual(input.remembered, [...cells, "g() + f()"]);
    assert.equal(
      await Deno.readTextFile(historyFile),
      [...cells, "g() + f()"].map((e) => e.replaceAll("\n", "\r") + "\n").join(""),
    );
  });
});
