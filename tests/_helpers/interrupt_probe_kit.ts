/**
 * What the local-interrupt probe scripts (`local_interrupt_probe.ts`,
 * `local_interrupt_hint_probe.ts`) share: running the loop check as a cell's loop would, and
 * blocking the thread as a spinning or blocked cell does.
 *
 * @module
 */

import { INTERRUPT_CHECK } from "../../lib/evaluate/interrupt_checks.ts";
import { KeyboardInterrupt } from "../../lib/repl/local_interrupt.ts";

/** Runs the loop check once, as a cell's loop does (it throws to stop the cell). */
export const check = (): boolean =>
  (globalThis as unknown as Record<string, () => boolean>)[INTERRUPT_CHECK]!();

/** Whether the loop check stops the cell now. */
export function throwsInterrupt(): boolean {
  try {
    check();
    return false;
  } catch (e) {
    return e instanceof KeyboardInterrupt;
  }
}

/**
 * Blocks this thread (as a spinning or blocked cell does) until `ready` holds, at most 30 s.
 *
 * @param what What is awaited, for the error.
 * @param ready The condition, checked every 2 ms.
 */
export function blockUntil(what: string, ready: () => boolean): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 30_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    Atomics.wait(pause, 0, 0, 2);
  }
}
