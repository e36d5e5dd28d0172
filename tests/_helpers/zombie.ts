/**
 * A real zombie process for tests: ended, but never reaped by its parent.
 *
 * @module
 */

/**
 * Runs `fn` with the pid of a zombie: a grandchild killed by SIGKILL whose parent (a `sleep`
 * that `sh` became) never reaps it. Deno reaps its own children at once, so they never stay
 * zombies. Stops both processes after. Linux only (it reads `/proc`).
 *
 * @param fn Gets the zombie's pid.
 */
export async function withZombie(fn: (pid: number) => Promise<void>): Promise<void> {
  const parent = new Deno.Command("sh", {
    args: ["-c", "sleep 600 >/dev/null 2>&1 & echo $!; exec sleep 600 >/dev/null"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    let text = "";
    for await (const chunk of parent.stdout.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.includes("\n")) break;
    }
    const pid = Number(text.trim());
    // kill it only once sh has become `sleep`: a shell still running its script may reap it
    // (seen under load: the zombie was gone before the test could look at it)
    while ((await Deno.readTextFile(`/proc/${parent.pid}/comm`)).trim() !== "sleep") {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    Deno.kill(pid, "SIGKILL");
    // the kill is delivered asynchronously: wait until the kernel shows the zombie
    while (!/\) Z /.test(await Deno.readTextFile(`/proc/${pid}/stat`))) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await fn(pid);
  } finally {
    parent.kill("SIGKILL");
    await parent.status;
  }
}
