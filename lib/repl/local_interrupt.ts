/**
 * Ctrl-C (and SIGTERM, SIGHUP, SIGQUIT) for a local cell that spins. A local cell runs on the REPL's own
 * thread, so while it is in `while (true) {}` nothing of the REPL runs — not its signal
 * listeners, not the terminal — and the REPL could only be killed. So a local cell's loops
 * call {@linkcode INTERRUPT_CHECK} (see `lib/evaluate/interrupt_checks.ts`), and a small Worker
 * counts the signals in words both threads share: when a stopping signal arrived since the
 * cell began, the check throws {@linkcode KeyboardInterrupt} — at every later check too, so a
 * `catch` inside the loop cannot swallow it for ever. The REPL then runs again and handles the
 * signal as usual (SIGTERM ends it); the SIGINT a cell stopped on is marked spent, so the
 * REPL's own listener, which sees it once the cell has ended, does not also interrupt the next
 * cell or end a script.
 *
 * What it cannot stop: a cell blocked outside JavaScript loops (a synchronous wait, one huge
 * regular expression, a deep recursion of plain calls) — there the check never runs. The
 * watcher then says so when a Ctrl-C goes unanswered for half a second (see
 * `signal_watch_worker.ts`); a loop check that stops the cell, the REPL's own listener hearing
 * the Ctrl-C (the cell awaits) and the cell's end each answer it.
 *
 * @module
 */

import { INTERRUPT_CHECK } from "../evaluate/interrupt_checks.ts";
import {
  CELL,
  DECIDED,
  HEARD,
  HINTS,
  INTERRUPTS,
  SLOT_COUNT,
  SPENT,
  STOPS,
  UNANSWERED,
} from "./local_interrupt_slots.ts";

/** Thrown into a local cell stopped by Ctrl-C (or SIGTERM/SIGHUP/SIGQUIT). */
export class KeyboardInterrupt extends Error {
  /** @param message What was stopped. */
  constructor(message = "the local cell was stopped") {
    super(message);
    this.name = "KeyboardInterrupt";
  }
}

/** Signals for local cells: see the module. */
export class LocalInterrupt implements Disposable {
  #slots = new Int32Array(new SharedArrayBuffer(SLOT_COUNT * 4));
  #worker: Worker;
  /** {@linkcode STOPS} when the running cell began; undefined between cells. */
  #base: number | undefined;
  /** Cells begun so far (the running one's number). */
  #cells = 0;
  /** {@linkcode INTERRUPTS} as it was when the REPL's own listener was last told of a SIGINT. */
  #handled = 0;
  #previousCheck: PropertyDescriptor | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    this.#previousCheck = Object.getOwnPropertyDescriptor(globalThis, INTERRUPT_CHECK);
    const slots = this.#slots;
    Object.defineProperty(globalThis, INTERRUPT_CHECK, {
      value: () => {
        const base = this.#base;
        if (base !== undefined && Atomics.load(slots, STOPS) !== base) {
          Atomics.store(slots, SPENT, Atomics.load(slots, INTERRUPTS));
          Atomics.store(slots, UNANSWERED, 0);
          throw new KeyboardInterrupt();
        }
        return true;
      },
      configurable: true,
    });
  }

  /**
   * Starts the watching Worker; resolves once it listens.
   *
   * @returns The interrupt source.
   */
  static async start(): Promise<LocalInterrupt> {
    const worker = new Worker(new URL("./signal_watch_worker.ts", import.meta.url), {
      type: "module",
      name: "ipx repl signals",
    });
    const local = new LocalInterrupt(worker);
    const listening = new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`the REPL's signal watcher failed: ${e.message}`));
      };
    });
    worker.postMessage(local.#slots.buffer);
    try {
      await listening;
    } catch (error) {
      local[Symbol.dispose]();
      throw error;
    }
    return local;
  }

  /**
   * A local cell begins: signals from now on stop it.
   *
   * @returns The cell's number, for {@linkcode end}.
   */
  begin(): number {
    this.#base = Atomics.load(this.#slots, STOPS);
    Atomics.store(this.#slots, CELL, ++this.#cells);
    return this.#cells;
  }

  /**
   * A local cell ended: loops no longer stop (a cell given up while it awaited may end after
   * the next one began: then nothing changes).
   *
   * @param cell What {@linkcode begin} returned.
   */
  end(cell: number): void {
    if (cell !== this.#cells) return;
    this.#base = undefined;
    Atomics.store(this.#slots, CELL, 0);
    Atomics.store(this.#slots, UNANSWERED, 0);
  }

  /**
   * The REPL's own listener got a SIGINT: was it already spent stopping a local cell? Call it
   * once per call of the listener. While the REPL's thread is blocked, several SIGINTs reach
   * its listener as one call (the watcher still counts each), so this does not count calls: a
   * call is spent when a cell stopped on SIGINTs the listener had not yet been told of, and
   * every call tells it of all SIGINTs the watcher has counted so far. Both threads hear each
   * SIGINT, in either order: when the listener runs first (the watcher has counted nothing
   * new), the SIGINT it was called for is the next one the watcher counts, and it is taken as
   * heard — else a loop stopping on it later would mark it spent (and the REPL would drop the
   * next Ctrl-C), and the watcher would take it for unanswered (and say the cell is blocked).
   *
   * @returns True when a local cell already stopped on it (nothing more to do).
   */
  spent(): boolean {
    const slots = this.#slots;
    const counted = Atomics.load(slots, INTERRUPTS);
    const spent = Atomics.load(slots, SPENT) > this.#handled;
    // (when the watcher has counted nothing new, the SIGINT this call is for is the next it counts)
    this.#handled = counted > this.#handled ? counted : this.#handled + 1;
    Atomics.store(slots, HEARD, this.#handled);
    Atomics.store(slots, UNANSWERED, 0);
    return spent;
  }

  /**
   * SIGINTs the watching Worker has counted (for diagnostics and tests).
   *
   * @returns The count.
   */
  interrupts(): number {
    return Atomics.load(this.#slots, INTERRUPTS);
  }

  /**
   * What the watcher decided of unanswered Ctrl-Cs (for tests): `decided` counts its
   * half-second timers that ran, `hints` the hints it printed.
   *
   * @returns The counts.
   */
  hints(): { decided: number; hints: number } {
    return { decided: Atomics.load(this.#slots, DECIDED), hints: Atomics.load(this.#slots, HINTS) };
  }

  /** Stops the Worker and removes the check. */
  [Symbol.dispose](): void {
    this.#worker.terminate();
    if (this.#previousCheck) {
      Object.defineProperty(globalThis, INTERRUPT_CHECK, this.#previousCheck);
    } else delete (globalThis as Record<string, unknown>)[INTERRUPT_CHECK];
  }
}
