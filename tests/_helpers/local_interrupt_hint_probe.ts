/**
 * Run as its own process by `tests/repl_local_interrupt_test.ts` (a test runner stops on a
 * SIGINT it is sent): sends itself Ctrl-Cs while a local cell is blocked, answers them as a
 * loop check or the REPL's listener would, and prints as JSON what the signal watcher decided
 * (its hint, if any, goes to stderr).
 *
 * @module
 */

import { LocalInterrupt } from "../../lib/repl/local_interrupt.ts";
import { blockUntil, throwsInterrupt } from "./interrupt_probe_kit.ts";

const counted = (n: number) => () => local.interrupts() >= n;
const decided = (n: number) => () => local.hints().decided >= n;

using local = await LocalInterrupt.start();
let called: () => void = () => {};
Deno.addSignalListener("SIGINT", () => {
  local.spent();
  called();
});
const report: Record<string, unknown> = {};

switch (Deno.args[0]) {
  case "blocked": {
    // blocked through two Ctrl-Cs: one hint; it still stops when its loop runs again
    const cell = local.begin();
    Deno.kill(Deno.pid, "SIGINT");
    blockUntil("the first Ctrl-C is counted", counted(1));
    Deno.kill(Deno.pid, "SIGINT");
    blockUntil("the second Ctrl-C is counted", counted(2));
    blockUntil("the watcher decided", decided(1));
    report.first = local.hints();
    report.stopped = throwsInterrupt();
    local.end(cell);
    // the next cell blocked is told of again
    const next = local.begin();
    Deno.kill(Deno.pid, "SIGINT");
    blockUntil("the third Ctrl-C is counted", counted(3));
    blockUntil("the watcher decided again", decided(2));
    report.next = local.hints();
    local.end(next);
    break;
  }
  case "looping": {
    // a loop check answers at once
    const cell = local.begin();
    Deno.kill(Deno.pid, "SIGINT");
    blockUntil("the Ctrl-C is counted", counted(1));
    report.stopped = throwsInterrupt();
    blockUntil("the watcher decided", decided(1));
    report.hints = local.hints();
    local.end(cell);
    break;
  }
  case "awaited": {
    // the cell awaits: the REPL's listener hears the Ctrl-C
    const cell = local.begin();
    const reached = new Promise<void>((resolve) => called = resolve);
    Deno.kill(Deno.pid, "SIGINT");
    await reached;
    blockUntil("the watcher decided", decided(1));
    report.hints = local.hints();
    local.end(cell);
    break;
  }
  case "ended": {
    // the cell ends (its wait was over) before the half second
    const cell = local.begin();
    Deno.kill(Deno.pid, "SIGINT");
    blockUntil("the Ctrl-C is counted", counted(1));
    local.end(cell);
    blockUntil("the watcher decided", decided(1));
    report.hints = local.hints();
    break;
  }
}
console.log(JSON.stringify(report));
Deno.exit(0);
