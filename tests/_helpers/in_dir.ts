/**
 * Running test code in another current directory.
 *
 * @module
 */

/**
 * Runs `fn` with the current directory set to `dir`, then restores it (also when `fn` throws).
 *
 * @param dir The directory.
 * @param fn What to run there.
 * @returns What `fn` returned.
 */
export async function inDir<T>(dir: string, fn: () => T | Promise<T>): Promise<T> {
  const before = Deno.cwd();
  Deno.chdir(dir);
  try {
    return await fn();
  } finally {
    Deno.chdir(before);
  }
}
