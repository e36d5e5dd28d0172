/**
 * The thread that sees the REPL's signals while its own thread is busy in a local cell: it
 * counts them in words shared with the REPL (see `local_interrupt.ts`), which the loop checks
 * of a local cell read. Signal listeners of a Worker run on the Worker's thread, so they fire
 * even when the REPL's thread spins in `while (true) {}`.
 *
 * @module
 */

import { INTERRUPTS, STOPS } from "./local_interrupt_slots.ts";

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
  scope.postMessage("listening");
};
