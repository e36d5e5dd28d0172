import assert from "node:assert/strict";
import { hostname } from "node:os";
import { join } from "node:path";
import { removeStaleReplDirs, STALE_AFTER_MS } from "./_stale_repl_dirs.ts";

/** A pid that is not running: a child that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

async function privateDir(parent: string, name: string, pid: number | undefined, old: boolean) {
  const dir = join(parent, name);
  await Deno.mkdir(join(dir, "profile_default"), { recursive: true });
  await Deno.writeTextFile(join(dir, "cluster.log"), "log\n");
  if (pid !== undefined) {
    await Deno.writeTextFile(
      join(dir, "profile_default", "ipx-controller.pid"),
      JSON.stringify({ pid, hostname: hostname(), startedAt: new Date(0).toISOString() }),
    );
  }
  if (old) {
    const then = new Date(Date.now() - 2 * STALE_AFTER_MS);
    await Deno.utime(dir, then, then);
  }
  return dir;
}

Deno.test("removeStaleReplDirs() removes only old private dirs whose controller is gone", async () => {
  const parent = await Deno.makeTempDir();
  try {
    const dead = await deadPid();
    const killed = await privateDir(parent, "ipx-repl-killed", dead, true);
    const neverStarted = await privateDir(parent, "ipx-repl-early", undefined, true);
    const live = await privateDir(parent, "ipx-repl-live", Deno.ppid, true);
    const young = await privateDir(parent, "ipx-repl-young", dead, false);
    const other = await privateDir(parent, "not-ours", dead, true);
    const removed = await removeStaleReplDirs(parent, "ipx-repl-");
    assert.deepEqual(removed.sort(), [neverStarted, killed].sort());
    for (const kept of [live, young, other]) assert.ok((await Deno.stat(kept)).isDirectory, kept);
    assert.deepEqual(await removeStaleReplDirs(join(parent, "missing"), "ipx-repl-"), []);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});
