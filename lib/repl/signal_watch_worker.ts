/**
 * The thread that sees the REPL's signals while its own thread is busy in a local cell: it
 * counts them in words shared with the REPL (see `local_interrupt.ts`), which the loop checks
 * of a local cell read. Signal listeners of a Worker run on the Worker's thread, so they fire
 * even when the REPL's thread spins in `while (true) {}`.
 *
 * A Ctrl-C that nothing answers within {@linkcode UNANSWERED_MS} while a local cell runs (no
 * loop check stopped the cell, the REPL's own listener did not hear it, the cell did not end)
 * means the cell is blocked where Ctrl-C cannot reach it: the watcher then says so, once per
 * cell, with the way out ({@linkcode BLOCKED_HINT}).
 *
 * @module
 */

import {
  BLOCKED_HINT,
  CELL,
  DECIDED,
  HEARD,
  HINTS,
  INTERRUPTS,
  QUITS,
  SPENT,
  STOPS,
  UNANSWERED,
  UNANSWERED_MS,
} from "./local_interrupt_slots.ts";

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
  /** The last cell hinted at (one hint per cell, however many Ctrl-Cs). */
  let hinted = 0;
  const decide = (cell: number, count: number) => {
    try {
      // a loop check, the REPL's listener or the cell's end took it first
      if (Atomics.compareExchange(slots, UNANSWERED, count, 0) !== count) return;
      // the cell ended as the Ctrl-C came; a loop check or the REPL's listener answered it
      if (Atomics.load(slots, CELL) !== cell || hinted === cell) return;
      if (Atomics.load(slots, SPENT) >= count || Atomics.load(slots, HEARD) >= count) return;
      hinted = cell;
      // on a terminal the hint follows the Ctrl-C it answers (the terminal does not echo it)
      const text = Deno.stderr.isTerminal() ? `^C\n${BLOCKED_HINT}` : BLOCKED_HINT;
      Atomics.add(slots, HINTS, 1);
      Deno.stderr.writeSync(new TextEncoder().encode(text));
    } finally {
      Atomics.add(slots, DECIDED, 1);
    }
  };
  Deno.addSignalListener("SIGINT", () => {
    // only this thread writes INTERRUPTS; UNANSWERED is set before the count is visible, so
    // a loop check that sees the count sees the SIGINT as unanswered too
    const count = Atomics.load(slots, INTERRUPTS) + 1;
    const cell = Atomics.load(slots, CELL);
    const armed = cell !== 0 && cell !== hinted &&
      Atomics.compareExchange(slots, UNANSWERED, 0, count) === 0;
    Atomics.store(slots, INTERRUPTS, count);
    Atomics.add(slots, STOPS, 1);
    if (armed) setTimeout(() => decide(cell, count), UNANSWERED_MS);
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
