import assert from "node:assert/strict";
import { describeExit } from "./supervisor.ts";

function status(code: number, signal: Deno.Signal | null = null): Deno.CommandStatus {
  return { success: code === 0, code, signal };
}

Deno.test("describeExit() names signals, native crashes, codes and running out of memory", () => {
  assert.match(
    describeExit(status(137, "SIGKILL")),
    /^killed by signal SIGKILL \(SIGKILL: .*out-of-memory killer\)$/,
  );
  assert.equal(
    describeExit(status(134, "SIGABRT")),
    "killed by signal SIGABRT (a crash in native code)",
  );
  assert.equal(describeExit(status(1)), "exit code 1");
  assert.match(describeExit(status(3)), /could not authenticate/);
  const tail = [
    "<--- Last few GCs --->",
    "#",
    "# Fatal JavaScript out of memory: Reached heap limit",
    "#",
  ];
  assert.equal(
    describeExit(status(133, "SIGTRAP"), tail),
    "out of memory (signal SIGTRAP: Fatal JavaScript out of memory: Reached heap limit)",
  );
});
