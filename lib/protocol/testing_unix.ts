/**
 * Test support for the local transport (used by tests only).
 *
 * @module
 */

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
