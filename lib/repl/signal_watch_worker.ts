/**
 * The thread that sees the REPL's signals while its own thread is busy in a local cell: it
 * counts them in words shared with the REPL (see `local_interrupt.ts`), which the loop checks
 * of a local cell read. Signal listeners of a Worker run on the Worker's thread, so they fire
 * even when the REPL's thread spins in `while (true) {}`.
 *
 * @module
 */

import { INTERRUPTS, QUITS, STOPS } from "./local_interrupt_slots.ts";

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
  Deno.addSignalListener("SIGINT", () => {
    Atomics.add(slots, INTERRUPTS, 1);
    Atomics.add(slots, STOPS, 1);
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
