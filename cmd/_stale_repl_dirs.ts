/**
 * `ipx repl --local` keeps its private cluster's files (the cluster's key among them) in a
 * directory of its own and removes it however the REPL ends — except when the REPL is killed
 * with SIGKILL (or the machine stops), which no process can clean up after. The next
 * `repl --local` removes such leftovers: directories of this user, named as the REPL names
 * them, not changed for a minute, whose controller pid file names no live process.
 *
 * @module
 */

import { join } from "node:path";
import { pidFileHolderAlive } from "../lib/profile/mod.ts";

/** A private directory younger than this may still be starting: it is left alone. */
export const STALE_AFTER_MS = 60_000;

/**
 * Removes leftover private directories of killed REPLs (best effort: what cannot be read or
 * removed is left).
 *
 * @param parent Where they are made (`$TMPDIR`, or a profile's dir).
 * @param prefix Their name prefix (`ipx-repl-`, `.ipx-repl-`).
 * @param now The time, in ms since the epoch.
 * @returns The directories removed.
 */
export async function removeStaleReplDirs(
  parent: string,
  prefix: string,
  now = Date.now(),
): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(parent));
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!entry.isDirectory || !entry.name.startsWith(prefix)) continue;
    const dir = join(parent, entry.name);
    try {
      const info = await Deno.lstat(dir);
      if (info.uid !== Deno.uid() || now - (info.mtime?.getTime() ?? now) < STALE_AFTER_MS) {
        continue;
      }
      if (await anyControllerAlive(dir)) continue;
      await Deno.remove(dir, { recursive: true });
      removed.push(dir);
    } catch {
      // someone else's, or being removed: leave it
    }
  }
  return removed;
}

/** Whether a controller pid file in one of the directory's profiles names a live process. */
async function anyControllerAlive(dir: string): Promise<boolean> {
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isDirectory || !entry.name.startsWith("profile_")) continue;
    // no pid file (killed before its controller started), or one of a process gone: stale
    if (await pidFileHolderAlive(join(dir, entry.name, "ipx-controller.pid"))) return true;
  }
  return false;
}
