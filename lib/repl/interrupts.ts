/**
 * Ctrl-C as an event: the terminal fires it, whatever the REPL is waiting on listens for it.
 *
 * @module
 */

/** A source of interrupt events. */
export class Interrupts {
  #waiters = new Set<() => void>();

  /**
   * Delivers an interrupt to everyone waiting.
   *
   * @returns Whether anyone was waiting (otherwise the prompt should handle it).
   */
  fire(): boolean {
    const waiting = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiting) w();
    return waiting.length > 0;
  }

  /**
   * Races a promise against the next interrupt.
   *
   * @param promise What to wait for.
   * @returns `{ done: true, value }` when it settled first, `{ done: false }` on an interrupt.
   */
  async race<T>(promise: Promise<T>): Promise<{ done: true; value: T } | { done: false }> {
    let stop: () => void = () => {};
    const interrupted = new Promise<{ done: false }>((resolve) => {
      stop = () => resolve({ done: false });
      this.#waiters.add(stop);
    });
    try {
      return await Promise.race([
        promise.then((value) => ({ done: true as const, value })),
        interrupted,
      ]);
    } finally {
      this.#waiters.delete(stop);
    }
  }
}
