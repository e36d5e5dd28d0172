/**
 * Liveness as data: records when each engine was last heard from and reports the engines that
 * have been silent for too long. Pure; time comes from the caller.
 *
 * @module
 */

/** Tracks last-heard times of engines. */
export class HeartMonitor {
  #lastSeen = new Map<number, number>();
  #deadAfterMs: number;

  /** @param deadAfterMs Silence after which an engine is declared dead. */
  constructor(deadAfterMs: number) {
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
    this.#lastSeen.set(id, now);
  }

  /**
   * Stops tracking an engine.
   *
   * @param id Engine id.
   */
  forget(id: number): void {
    this.#lastSeen.delete(id);
  }

  /**
   * The engines silent for longer than the limit, in id order.
   *
   * @param now Current epoch ms.
   */
  silent(now: number): number[] {
    const out: number[] = [];
    for (const [id, t] of this.#lastSeen) {
      if (now - t > this.#deadAfterMs) out.push(id);
    }
    return out.sort((a, b) => a - b);
  }
}
