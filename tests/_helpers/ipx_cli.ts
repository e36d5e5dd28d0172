/**
 * Running the real `ipx` CLI from tests: one-shot commands and long-running processes whose
 * output lines can be awaited.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { forEachLine } from "../../lib/engine/lines.ts";
import { IPX_RUN_FLAGS } from "../../scripts/compile.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = `${ROOT}main.ts`;
const CONFIG = `${ROOT}deno.json`;
/** The permissions `./ipx` grants (one list, kept beside the compile script's). */
export const IPX_FLAGS = IPX_RUN_FLAGS;

function command(ipxDir: string, args: string[], stdin: "null" | "piped" = "null"): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--config", CONFIG, ...IPX_FLAGS, MAIN, ...args],
    env: { IPX_DIR: ipxDir, NO_COLOR: "1" },
    stdin,
    stdout: "piped",
    stderr: "piped",
  });
}

/** Result of a finished command. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `ipx args` to completion.
 *
 * @param ipxDir IPX_DIR for the run.
 * @param args Arguments.
 */
export async function runIpx(ipxDir: string, ...args: string[]): Promise<CliRun> {
  const out = await command(ipxDir, args).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

/** A long-running ipx process. */
export class IpxProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** Everything printed so far (stdout and stderr interleaved by line). */
  lines: string[] = [];
  #waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  #pumps: Promise<void>[];

  /**
   * @param ipxDir IPX_DIR.
   * @param args Arguments.
   */
  constructor(ipxDir: string, ...args: string[]) {
    this.child = command(ipxDir, args).spawn();
    this.#pumps = [this.#pump(this.child.stdout), this.#pump(this.child.stderr)];
  }

  #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    return forEachLine(stream, (line) => this.#line(line));
  }

  #line(line: string): void {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((w) => {
      const m = line.match(w.re);
      if (m) w.resolve(m);
      return !m;
    });
  }

  /**
   * Resolves with the first line (past or future) matching `re`; rejects if the process exits
   * first.
   *
   * @param re Pattern.
   */
  waitFor(re: RegExp): Promise<RegExpMatchArray> {
    for (const l of this.lines) {
      const m = l.match(re);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      this.#waiters.push({ re, resolve });
      this.child.status.then((s) =>
        reject(
          new Error(`process exited (${s.code}) before printing ${re}:\n${this.lines.join("\n")}`),
        )
      );
    });
  }

  /** Output so far. */
  get output(): string {
    return this.lines.join("\n");
  }

  /**
   * Sends a signal and waits for the exit status.
   *
   * @param signal Signal.
   */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    try {
      this.child.kill(signal);
    } catch { /* already gone */ }
    const status = await this.child.status;
    await Promise.allSettled(this.#pumps);
    return status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Pids of live processes whose command line contains `needle` (from the process table).
 *
 * @param needle Substring to look for.
 */
export async function processesMatching(needle: string): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,stat=,args="], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((l) => l.includes(needle) && !/^\s*\d+\s+Z/.test(l) && !l.includes("ps -eo"))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

/**
 * A temporary IPX_DIR, removed on dispose.
 */
export async function tempIpxDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "ipx_cli_" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
