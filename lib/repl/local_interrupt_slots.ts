/**
 * The words the REPL's thread and its signal-watching Worker share (one `SharedArrayBuffer` of
 * Int32s), see `local_interrupt.ts`.
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
/** Words in all. */
export const SLOT_COUNT = 4;
