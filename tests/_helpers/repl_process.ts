/**
 * Running the real `ipx repl` in tests, through {@linkcode REPL_ENTRY} (main.ts's program with
 * `repl` registered): scripted over a pipe, or as a long-running child.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { IPX_FLAGS } from "./ipx_cli.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The entry point the tests run. */
export const REPL_ENTRY = `${ROOT}tests/_helpers/repl_entry.ts`;
const CONFIG = `${ROOT}deno.json`;

/** The command line that runs `ipx <args>` through the entry. */
export function replArgv(args: string[]): string[] {
  return [Deno.execPath(), "run", "--config", CONFIG, ...IPX_FLAGS, REPL_ENTRY, ...args];
}

/** A finished run. */
export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `ipx <args>` with `script` on stdin and waits for it to exit.
 *
 * @param script The input.
 * @param args Arguments, e.g. `["repl", "--local", "2"]`.
 * @param env Extra environment (IPX_DIR at least).
 * @param cwd Its working directory (default: this process's).
 */
export async function runReplScript(
  script: string,
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<ScriptRun> {
  const [cmd, ...rest] = replArgv(args);
  const child = new Deno.Command(cmd!, {
    args: rest,
    ...(cwd !== undefined ? { cwd } : {}),
    env: { NO_COLOR: "1", ...env },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const out = await child.output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

/** A running REPL child with piped stdio. */
export class ReplChild implements AsyncDisposable {
  /** The process. */
  readonly child: Deno.ChildProcess;
  /** Stdout so far. */
  stdout = "";
  /** Stderr so far. */
  stderr = "";
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #waiters: { test: () => boolean; resolve: () => void }[] = [];
  #pumps: Promise<void>[];

  /**
   * @param args Arguments.
   * @param env Extra environment.
   */
  constructor(args: string[], env: Record<string, string>) {
    const [cmd, ...rest] = replArgv(args);
    this.child = new Deno.Command(cmd!, {
      args: rest,
      env: { NO_COLOR: "1", ...env },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    this.#pumps = [
      this.#pump(this.child.stdout, (t) => this.stdout += t),
      this.#pump(this.child.stderr, (t) => this.stderr += t),
    ];
  }

  async #pump(stream: ReadableStream<Uint8Array>, add: (text: string) => void): Promise<void> {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      add(text);
      this.#waiters = this.#waiters.filter((w) => !(w.test() && (w.resolve(), true)));
    }
  }

  /**
   * Writes to the child's stdin.
   *
   * @param text Input.
   */
  async send(text: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(text));
  }

  /**
   * Resolves when stdout or stderr matches; rejects if the child exits first, or with what it
   * printed when nothing matched within `timeoutMs` (a wrong expectation must fail, not hang).
   *
   * @param re Pattern, tested against stdout + "\n---\n" + stderr.
   * @param timeoutMs Bound. @default 120000
   */
  waitFor(re: RegExp, timeoutMs = 120_000): Promise<void> {
    const test = () => re.test(`${this.stdout}\n---\n${this.stderr}`);
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.test !== test);
        reject(
          new Error(
            `nothing matched ${re} in ${timeoutMs} ms:\n${this.stdout}\n---\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push({
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      this.child.status.then(() => {
        if (test()) return;
        clearTimeout(timer);
        reject(new Error(`exited before ${re}:\n${this.stdout}\n---\n${this.stderr}`));
      });
    });
  }

  /** Waits for the exit status (stdin stays open until then), e.g. after a signal. */
  async exited(): Promise<Deno.CommandStatus> {
    const status = await this.child.status;
    await this.#writer.close().catch(() => {});
    await Promise.allSettled(this.#pumps);
    return status;
  }

  /** Closes stdin and waits for the exit status. */
  async finish(): Promise<Deno.CommandStatus> {
    await this.#writer.close().catch(() => {});
    const status = await this.child.status;
    await Promise.allSettled(this.#pumps);
    return status;
  }

  /**
   * Sends a signal (ignored when the child is gone).
   *
   * @param signal The signal.
   */
  kill(signal: Deno.Signal): void {
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /**
   * Stops the child if it still runs: SIGTERM (the REPL tears its cluster down), SIGKILL after
   * 15 s; waits for it.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), 15_000);
    await this.#writer.close().catch(() => {});
    await this.child.status;
    clearTimeout(timer);
    await Promise.allSettled(this.#pumps);
  }
}

/**
 * The pids of the engine processes a `--local` REPL started in a data dir (not the REPL, nor
 * the shell that runs it, whose command lines name the data dir too).
 *
 * @param dataDir The engines' data dir.
 * @returns Their pids, in `ps` order.
 */
export async function engineProcesses(dataDir: string): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,stat=,args="], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((l) => l.includes(dataDir) && l.includes("process_main.ts") && !/^\s*\d+\s+Z/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}
