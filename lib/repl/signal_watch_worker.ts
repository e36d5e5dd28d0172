/**
 * The thread that sees the REPL's signals while its own thread is busy in a local cell: it
 * counts them in words shared with the REPL (see `local_interrupt.ts`), which the loop checks
 * of a local cell read. Signal listeners of a Worker run on the Worker's thread, so they fire
 * even when the REPL's thread spins in `while (true) {}`.
 *
 * @module
 */

import { CELL, HEARD, INTERRUPTS, QUITS, SPENT, STOPS } from "./local_interrupt_slots.ts";

/**
 * How long a Ctrl-C may go unanswered before the watcher says the cell is blocked: a loop
 * check, or the REPL's own listener when the cell awaits, answers within milliseconds.
 */
const UNANSWERED_MS = 500;

/** What the watcher prints when a Ctrl-C could not stop the local cell. */
const BLOCKED_HINT = "ipx repl: the local cell does not respond to Ctrl-C (it is " +
  "blocked outside any loop, e.g. in Atomics.wait or one long synchronous call); wait for it " +
  "to end, or press Ctrl-\\ twice to end the REPL (its local variables are lost)\n";

/**
 * The escape from a local cell blocked where no loop check runs (a synchronous wait): the
 * first SIGQUIT stops loops and ends the REPL as SIGTERM does, but the REPL's thread never
 * gets to it; a second one kills the process from here, saying so.
 */
function quitHard(): void {
  const text = "\nipx repl: Ctrl-\\ twice while a local cell blocked the REPL: killed it. " +
    "Local variables are lost; engines started by --local stop on their own. If the terminal " +
    "no longer echoes what you type, run `reset`.\n";
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(text));
  } finally {
    Deno.kill(Deno.pid, "SIGKILL");
  }
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<SharedArrayBuffer>) => void) | null;
  postMessage(message: string): void;
};

scope.onmessage = (event) => {
  scope.onmessage = null;
  const slots = new Int32Array(event.data);
  let hinted = 0;
  Deno.addSignalListener("SIGINT", () => {
    const count = Atomics.add(slots, INTERRUPTS, 1) + 1;
    Atomics.add(slots, STOPS, 1);
    const cell = Atomics.load(slots, CELL);
    if (cell === 0 || cell === hinted) return;
    setTimeout(() => {
      // stopped by a loop check, or heard by the REPL: answered; or the cell is over
      const answered = Atomics.load(slots, SPENT) >= count || Atomics.load(slots, HEARD) >= count;
      if (answered || Atomics.load(slots, CELL) !== cell || hinted === cell) return;
      hinted = cell;
      // on a terminal the hint follows the Ctrl-C it answers (the terminal does not echo it)
      const text = Deno.stderr.isTerminal() ? `^C\n${BLOCKED_HINT}` : BLOCKED_HINT;
      Deno.stderr.writeSync(new TextEncoder().encode(text));
    }, UNANSWERED_MS);
  });
  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    Deno.addSignalListener(signal, () => void Atomics.add(slots, STOPS, 1));
  }
  Deno.addSignalListener("SIGQUIT", () => {
    Atomics.add(slots, STOPS, 1);
    if (Atomics.add(slots, QUITS, 1) >= 1) quitHard();
  });
  scope.postMessage("listening");
};
