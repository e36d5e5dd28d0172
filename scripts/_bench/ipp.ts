/**
 * The ipyparallel side of the benchmark: finds a Python with ipyparallel and drives
 * `scripts/bench_ipp.py` over stdin/stdout (one JSON request and one JSON reply per line).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { DEFAULT_GLIBC_TUNABLES } from "../../lib/engine/allocator_env.ts";
import { lines } from "../../lib/engine/lines.ts";

const DRIVER = fileURLToPath(new URL("../bench_ipp.py", import.meta.url));

/**
 * The environment without ipx's allocator default (`lib/engine/allocator_env.ts`), which the
 * bench sets for itself; a user's own setting stays.
 *
 * @param env An environment.
 * @returns A copy without `GLIBC_TUNABLES` when it is ipx's default.
 */
export function withoutIpxAllocatorDefault(env: Record<string, string>): Record<string, string> {
  const copy = { ...env };
  if (copy.GLIBC_TUNABLES === DEFAULT_GLIBC_TUNABLES) delete copy.GLIBC_TUNABLES;
  return copy;
}

/** How to install what the ipyparallel comparison needs. */
export const IPP_INSTALL_HINT =
  "ipyparallel is not importable by any python3 found (tried $IPX_BENCH_PYTHON, python3, " +
  "/usr/bin/python3); install it with `apt-get install python3-ipyparallel python3-numpy` " +
  "(Debian) or `pip install ipyparallel numpy`, or point IPX_BENCH_PYTHON at a Python that has " +
  "it; running ipx alone";

/**
 * Finds a Python interpreter that can import ipyparallel.
 *
 * @returns Its path or command name, or undefined when none can.
 */
export async function findPython(): Promise<string | undefined> {
  const candidates = [Deno.env.get("IPX_BENCH_PYTHON"), "python3", "/usr/bin/python3", "python"]
    .filter((c): c is string => !!c);
  for (const python of candidates) {
    try {
      const out = await new Deno.Command(python, {
        args: ["-c", "import ipyparallel"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (out.success) return python;
    } catch {
      // not installed under this name
    }
  }
  return undefined;
}

/** A reply of the Python driver. */
export type IppReply = Record<string, unknown> & { ok: boolean; error?: string };

/** A running `bench_ipp.py` process. */
export class IppDriver implements AsyncDisposable {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: AsyncIterator<string>;
  #busy: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#lines = readLines(child.stdout)[Symbol.asyncIterator]();
  }

  /**
   * Starts the driver.
   *
   * @param python The interpreter (from {@linkcode findPython}).
   * @param stderrPath File that receives the driver's and ipyparallel's log output.
   */
  static async start(python: string, stderrPath: string): Promise<IppDriver> {
    const child = new Deno.Command(python, {
      args: ["-u", DRIVER],
      // ipx's C-allocator default is ipx's, not ipyparallel's: it runs as installed
      env: withoutIpxAllocatorDefault(Deno.env.toObject()),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const log = await Deno.open(stderrPath, { create: true, append: true, write: true });
    void child.stderr.pipeTo(log.writable).catch(() => {});
    return new IppDriver(child);
  }

  /**
   * Sends one command and waits for its reply. Calls are serialised.
   *
   * @param cmd The command name (see bench_ipp.py).
   * @param args Its arguments.
   * @returns The reply (throws when `ok` is false).
   */
  call(cmd: string, args: Record<string, unknown> = {}): Promise<IppReply> {
    const run = async (): Promise<IppReply> => {
      if (this.#closed) throw new Error("ipyparallel driver is closed");
      const line = JSON.stringify({ cmd, ...args }) + "\n";
      await this.#writer.write(new TextEncoder().encode(line));
      const next = await this.#lines.next();
      if (next.done) throw new Error(`ipyparallel driver exited during ${cmd}`);
      const reply = JSON.parse(next.value) as IppReply;
      if (!reply.ok) throw new Error(`ipyparallel ${cmd} failed: ${reply.error}`);
      return reply;
    };
    const p = this.#busy.then(run, run);
    this.#busy = p.catch(() => {});
    return p;
  }

  /** Stops every cluster the driver started, then the driver. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await Promise.race([
        this.call("quit"),
        new Promise((r) => setTimeout(r, 60_000)),
      ]);
    } catch {
      // already gone
    }
    this.#closed = true;
    await this.#writer.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 30_000);
    await this.#child.status;
    clearTimeout(timer);
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The driver's replies: non-empty lines, trimmed. */
async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  for await (const raw of lines(stream)) {
    const line = raw.trim();
    if (line) yield line;
  }
}
