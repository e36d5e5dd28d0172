/**
 * Run as its own process by `tests/repl_local_interrupt_test.ts` (a test runner stops on a
 * SIGINT it is sent): drives `LocalInterrupt` through one scenario of signals sent to itself,
 * as the REPL's thread would see them, and prints what the REPL's listener decided, as JSON.
 *
 * @module
 */

import { LocalInterrupt } from "../../lib/repl/local_interrupt.ts";
import { blockUntil, check, throwsInterrupt } from "./interrupt_probe_kit.ts";

/** Blocks this thread (as a spinning cell does) until the watcher has counted `n` SIGINTs. */
function blockUntilCounted(local: LocalInterrupt, n: number): void {
  blockUntil(`the watcher counting ${n} SIGINTs`, () => local.interrupts() >= n);
}

using local = await LocalInterrupt.start();
const calls: boolean[] = [];
let called: () => void = () => {};
Deno.addSignalListener("SIGINT", () => {
  calls.push(local.spent());
  called();
});
const nextCall = () => new Promise<void>((resolve) => called = resolve);
const report: Record<string, unknown> = {};

if (Deno.args[0] === "blocked") {
  // the thread stays blocked through two Ctrl-Cs: its listener hears of them once, later
  const cell = local.begin();
  report.ranBefore = check();
  let reached = nextCall();
  Deno.kill(Deno.pid, "SIGINT");
  blockUntilCounted(local, 1);
  Deno.kill(Deno.pid, "SIGINT");
  blockUntilCounted(local, 2);
  report.stopped = throwsInterrupt();
  report.stoppedAgain = throwsInterrupt();
  local.end(cell);
  report.ranAfter = check();
  await reached;
  report.afterCell = [...calls];
  reached = nextCall();
  Deno.kill(Deno.pid, "SIGINT"); // a later Ctrl-C, no cell blocked
  await reached;
} else {
  // the cell awaits: the listener hears of the Ctrl-C at once; the cell's loop runs later
  const cell = local.begin();
  let reached = nextCall();
  Deno.kill(Deno.pid, "SIGINT");
  await reached;
  blockUntilCounted(local, 1);
  report.stopped = throwsInterrupt();
  local.end(cell);
  report.afterCell = [...calls];
  reached = nextCall();
  Deno.kill(Deno.pid, "SIGINT");
  await reached;
}
report.calls = calls;
console.log(JSON.stringify(report));
Deno.exit(0);
