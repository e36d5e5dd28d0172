/**
 * The words the REPL's thread and its signal-watching Worker share (one `SharedArrayBuffer` of
 * Int32s), see `local_interrupt.ts`, and what the watcher says of a local cell that does not
 * answer a Ctrl-C.
 *
 * @module
 */

/** SIGINTs the watcher has seen. */
export const INTERRUPTS = 0;
/** Signals that stop a local cell (SIGINT, SIGTERM, SIGHUP, SIGQUIT) the watcher has seen. */
export const STOPS = 1;
/** {@linkcode INTERRUPTS} as it was when a local cell last stopped on an interrupt. */
export const SPENT = 2;
/** SIGQUITs (Ctrl-\ while a local cell runs) the watcher has seen. */
export const QUITS = 3;
/** The number of the local cell running now; 0 between cells. */
export const CELL = 4;
/**
 * The first SIGINT (its {@linkcode INTERRUPTS} count) that came while a local cell ran and that
 * nothing has answered yet; 0 when there is none. The watcher sets it; a loop check that stops
 * the cell, the REPL's own listener hearing the SIGINT, or the cell's end set it back to 0;
 * the watcher's half-second timer takes it (compare-and-exchange) to print its hint, unless
 * {@linkcode SPENT} or {@linkcode HEARD} show it was answered. Whoever comes first wins, so a
 * Ctrl-C answered within the half second is never hinted at.
 */
export const UNANSWERED = 5;
/**
 * SIGINTs the REPL's own listener has heard (the cell awaits, so the REPL handles them): what
 * the watcher had counted when the listener last ran — or one more, when the listener ran
 * before the watcher counted the SIGINT it was called for.
 */
export const HEARD = 6;
/** Half-second timers of the watcher that decided (hinted or not), for tests. */
export const DECIDED = 7;
/** Hints the watcher printed, for tests. */
export const HINTS = 8;
/** Words in all. */
export const SLOT_COUNT = 9;

/**
 * How long a Ctrl-C may go unanswered before the watcher says the cell is blocked: a loop
 * check, or the REPL's own listener when the cell awaits, answers within milliseconds.
 */
export const UNANSWERED_MS = 500;

/** What the watcher prints when a Ctrl-C could not stop the local cell. */
export const BLOCKED_HINT = "ipx repl: the local cell does not respond to Ctrl-C (it is " +
  "blocked outside any loop, e.g. in Atomics.wait or one long synchronous call); wait for it " +
  "to end, or press Ctrl-\\ twice to kill the REPL (its local variables are lost)\n";
