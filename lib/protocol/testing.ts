/**
 * Test support for protocol tests (used by tests only).
 *
 * @module
 */

/**
 * Runs `fn` with a fresh temporary directory, removed afterwards.
 *
 * @param prefix Name prefix of the directory.
 * @param fn The test body.
 */
export async function withTempDir(
  prefix: string,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Leaves a socket file nobody listens on at `path`, as a controller that died would: a child
 * process binds it and exits without closing (Deno removes socket files it closes).
 *
 * @param path Where to leave it.
 */
export async function leaveStaleSocket(path: string): Promise<void> {
  const code = `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} }); Deno.exit(0);`;
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", code] }).output();
  if (out.code !== 0 || !Deno.lstatSync(path).isSocket) {
    throw new Error(`could not leave a stale socket at ${path}`);
  }
}
