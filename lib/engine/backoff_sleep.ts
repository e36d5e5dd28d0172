/**
 * A sleep between reconnect attempts that a shutdown can cut short.
 *
 * @module
 */

/** One interruptible sleep at a time. */
export class BackoffSleep {
  #wake: (() => void) | undefined;

  /**
   * Waits `ms`, or less if {@linkcode BackoffSleep.wake} is called first.
   *
   * @param ms How long.
   */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Ends the current sleep now (no effect when not sleeping). */
  wake(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
}
