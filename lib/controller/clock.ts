/**
 * Injected time, so liveness and timeout logic can be tested without waiting.
 *
 * @module
 */

/** A source of time and timers. */
export interface Clock {
  /** Epoch milliseconds: for timestamps people read (records, registration times). */
  now(): number;
  /**
   * Milliseconds of a clock that never steps (`performance.now()`): for deadlines and
   * durations. A wall clock set back by an hour (NTP, a VM's clock fix) would otherwise keep
   * dead engines alive for that hour.
   */
  monotonic(): number;
  /** Runs `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
  /** Runs `fn` once after `ms` unless the returned function is called first. */
  after(ms: number, fn: () => void): () => void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  every(ms, fn) {
    const id = setInterval(fn, ms);
    return () => clearInterval(id);
  },
  after(ms, fn) {
    const id = setTimeout(fn, ms);
    return () => clearTimeout(id);
  },
};

/** A manual clock for tests: time moves only when {@linkcode ManualClock.advance} is called. */
export class ManualClock implements Clock {
  #now: number;
  #timers: { at: number; every: number; fn: () => void; id: number }[] = [];
  #nextId = 0;
  /** @param start Initial epoch ms. */
  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }
  /** Current time. */
  now(): number {
    return this.#now;
  }
  /** Current time (one clock serves both: tests step it as they need). */
  monotonic(): number {
    return this.#now;
  }
  /** Schedules a repeating timer. */
  every(ms: number, fn: () => void): () => void {
    const id = this.#nextId++;
    this.#timers.push({ at: this.#now + ms, every: ms, fn, id });
    return () => this.#timers = this.#timers.filter((t) => t.id !== id);
  }
  /** Schedules a one-shot timer. */
  after(ms: number, fn: () => void): () => void {
    const id = this.#nextId++;
    this.#timers.push({ at: this.#now + ms, every: 0, fn, id });
    return () => this.#timers = this.#timers.filter((t) => t.id !== id);
  }
  /**
   * Moves time forward, firing due timers in order.
   *
   * @param ms How far.
   */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#now = due.at;
      if (due.every > 0) due.at += due.every;
      else this.#timers = this.#timers.filter((t) => t !== due);
      due.fn();
    }
    this.#now = end;
  }

  /**
   * Moves time forward without firing timers on the way, as when the process is stopped or its
   * event loop blocked; then fires each overdue timer once, late (a repeating one next fires an
   * interval after that), as a real event loop does on resuming.
   *
   * @param ms How long the stall lasts.
   */
  stall(ms: number): void {
    this.#now += ms;
    const due = this.#timers.filter((t) => t.at <= this.#now).sort((a, b) => a.at - b.at);
    for (const t of due) {
      if (!this.#timers.includes(t)) continue; // cancelled by an earlier one
      if (t.every > 0) t.at = this.#now + t.every;
      else this.#timers = this.#timers.filter((x) => x !== t);
      t.fn();
    }
  }
}
