/**
 * A bound on waiting for an event in a test, so a missing event fails the test saying what
 * was awaited instead of hanging it (the bound is generous: it is not a timing assertion).
 *
 * @module
 */

/**
 * Waits for `promise`, failing with "no WHAT within MS ms" if it takes longer.
 *
 * @param promise What to wait for.
 * @param ms The bound.
 * @param what What it stands for, for the error.
 * @returns Its value.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
