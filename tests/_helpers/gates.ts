/**
 * Task code that waits for the test: sent to engines as source, so it uses nothing but globals
 * (functions do not capture the client's namespace).
 *
 * @module
 */

/**
 * Prints `say` when given, then returns `name` once a file called `name` exists in the
 * engine's data dir (its working directory), looking every 5 ms.
 *
 * @param name The file to wait for, and the result.
 * @param say A line to print first (a test can wait for it to know the task runs).
 */
export async function whenFile(name: string, say?: string): Promise<string> {
  if (say !== undefined) console.log(say);
  for (;;) {
    try {
      Deno.statSync(name);
      return name;
    } catch {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
