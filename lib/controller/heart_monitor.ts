/**
 * Liveness as data: each engine has a deadline by which it must be heard from again. Hearing
 * from it moves the deadline to `now + deadAfterMs`; an engine past its deadline is reported
 * silent. A restored engine (after a controller restart) can be given a longer first deadline
 * with {@linkcode HeartMonitor.grant}. Pure; time comes from the caller.
 *
 * @module
 */

/** Tracks when each engine must next be heard from. */
export class HeartMonitor {
  #deadline = new Map<number, number>();
  #deadAfterMs: number;

  /** @param deadAfterMs Silence after which an engine is declared dead. */
  constructor(deadAfterMs: number) {
    if (!(deadAfterMs > 0)) {
      throw new RangeError(`Cannot watch engines: deadAfterMs must be > 0, got ${deadAfterMs}`);
    }
    this.#deadAfterMs = deadAfterMs;
  }

  /** The silence limit. */
  get deadAfterMs(): number {
    return this.#deadAfterMs;
  }

  /**
   * Records that an engine was heard from.
   *
   * @param id Engine id.
   * @param now Current epoch ms.
   */
  beat(id: number, now: number): void {
    const next = now + this.#deadAfterMs;
    const current = this.#deadline.get(id);
    if (current === undefined || next > current) this.#deadline.set(id, next);
  }

  /**
   * Gives an engine until `deadline` to be heard from (at least; later beats extend it).
   *
   * @param id Engine id.
   * @param deadline Epoch ms.
   */
  grant(id: number, deadline: number): void {
    this.#deadline.set(id, deadline);
  }

  /**
   * Moves every deadline `ms` later: time the watcher itself could not watch (its process was
   * stopped or starved, so beats may be waiting unread) does not count against engines.
   *
   * @param ms How long the watcher was blind.
   */
  postpone(ms: number): void {
    if (!(ms > 0)) return;
    for (const [id, t] of this.#deadline) this.#deadline.set(id, t + ms);
  }

  /**
   * Stops tracking an engine.
   *
   * @param id Engine id.
   */
  forget(id: number): void {
    this.#deadline.delete(id);
  }

  /**
   * The engines past their deadline, in id order.
   *
   * @param now Current epoch ms.
   */
  silent(now: number): number[] {
    const out: number[] = [];
    for (const [id, t] of this.#deadline) {
      if (now > t) out.push(id);
    }
    return out.sort((a, b) => a - b);
  }
}
