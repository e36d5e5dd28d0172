/**
 * Driving `ipx repl` in a real pseudo-terminal: a private tmux server (its own socket) runs
 * the REPL in one pane; tests type keys and wait for the screen to show something.
 *
 * @module
 */

import { replArgv } from "./repl_process.ts";

const TMUX = "/usr/bin/tmux";

/** True when tmux is not installed: tests that need it are reported as ignored. */
export const tmuxMissing: boolean = !(() => {
  try {
    return Deno.statSync(TMUX).isFile;
  } catch {
    return false;
  }
})();

function quote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

async function tmux(socket: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(TMUX, {
    args: ["-S", socket, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`tmux ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Options of {@linkcode TmuxRepl.start}. */
export interface TmuxReplOptions {
  /** Environment to set (`undefined` values are unset, e.g. `NO_COLOR`). */
  env: Record<string, string | undefined>;
  /** Terminal width. @default 160 */
  width?: number;
  /** Terminal height. @default 50 */
  height?: number;
}

/** `ipx <args>` running in a tmux pane. */
export class TmuxRepl implements AsyncDisposable {
  #dir: string;
  #socket: string;

  private constructor(dir: string) {
    this.#dir = dir;
    this.#socket = `${dir}/tmux.sock`;
  }

  /**
   * Starts `ipx <args>` in a fresh tmux server. When it exits the pane prints
   * `[exited CODE]` and then `[tty echo]` or `[tty -echo]` (whether it left the terminal
   * echoing).
   *
   * @param args Arguments, e.g. `["repl", "--local", "2"]`.
   * @param options Environment and size.
   */
  static async start(args: string[], options: TmuxReplOptions): Promise<TmuxRepl> {
    const repl = new TmuxRepl(await Deno.makeTempDir({ prefix: "ipx_repl_tmux_" }));
    try {
      await repl.#start(args, options);
    } catch (error) {
      await repl[Symbol.asyncDispose]();
      throw error;
    }
    return repl;
  }

  async #start(args: string[], options: TmuxReplOptions): Promise<void> {
    const socket = this.#socket;
    const entries = Object.entries(options.env);
    const envArgs = [
      ...entries.filter(([, v]) => v === undefined).flatMap(([k]) => ["-u", k]),
      ...entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`),
    ];
    const command = ["env", ...envArgs, ...replArgv(args)].map(quote).join(" ");
    await tmux(
      socket,
      "-f",
      "/dev/null",
      "new-session",
      "-d",
      "-s",
      "repl",
      "-x",
      String(options.width ?? 160),
      "-y",
      String(options.height ?? 50),
      `${command}; echo "[exited $?]"; stty -a | grep -o -- " -*echo " | tr -d " " | sed "s/^/[tty /;s/$/]/"; exec sleep 600`,
    );
    await tmux(socket, "set-option", "-g", "history-limit", "5000");
  }

  /**
   * Sends tmux key names (`Enter`, `Tab`, `C-c`, `Up`, …).
   *
   * @param keys Key names.
   */
  async keys(...keys: string[]): Promise<void> {
    await tmux(this.#socket, "send-keys", "-t", "repl", ...keys);
  }

  /**
   * Types text literally.
   *
   * @param text The text.
   */
  async type(text: string): Promise<void> {
    await tmux(this.#socket, "send-keys", "-t", "repl", "-l", text);
  }

  /**
   * Types a line literally, then presses Enter.
   *
   * @param text The line.
   */
  async enter(text: string): Promise<void> {
    await this.type(text);
    await this.keys("Enter");
  }

  /**
   * The pane's text including scrollback, lines joined where they wrapped, without the empty
   * lines below the cursor (so `/In \[1\]: $/` matches a prompt waiting for input).
   *
   * @param escapes Keep colour escape sequences.
   */
  async screen(escapes = false): Promise<string> {
    const flags = ["-p", "-J", "-S", "-", ...(escapes ? ["-e"] : [])];
    const text = await tmux(this.#socket, "capture-pane", "-t", "repl", ...flags);
    return text.replace(/(\n[ \t]*)+$/, "");
  }

  /**
   * Waits until the screen matches.
   *
   * @param re Pattern.
   * @param options `escapes`: match against the text with colour codes; `timeoutMs`.
   * @returns The screen that matched.
   */
  async waitFor(
    re: RegExp,
    options: { escapes?: boolean; timeoutMs?: number } = {},
  ): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while (true) {
      const screen = await this.screen(options.escapes);
      if (re.test(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`the screen never matched ${re}:\n${screen}`);
      }
      await new Promise((r) => setTimeout(r, 40)); // poll interval of the screen, not a wait
    }
  }

  /**
   * Ends the REPL if it still runs (Ctrl-C, Ctrl-D; it stops its cluster), then stops the tmux
   * server and removes its socket directory.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      if (!/\[exited \d+\]/.test(await this.screen())) {
        await this.keys("C-c", "C-u", "C-d");
        await this.waitFor(/\[exited \d+\]/, { timeoutMs: 20_000 });
      }
    } finally {
      await tmux(this.#socket, "kill-server").catch(() => "");
      await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
    }
  }
}

/**
 * Starts `ipx repl --local 2` in tmux with a private IPX_DIR and waits for its first prompt.
 *
 * @param ipxDir The IPX_DIR.
 * @param dataDir The engines' data dir.
 * @param colors Leave colours on (NO_COLOR unset). @default false
 * @returns The running REPL.
 */
export async function startLocalTmuxRepl(
  ipxDir: string,
  dataDir: string,
  colors = false,
): Promise<TmuxRepl> {
  const repl = await TmuxRepl.start(["repl", "--local", "2", "--data-dir", dataDir], {
    env: { IPX_DIR: ipxDir, NO_COLOR: colors ? undefined : "1" },
  });
  try {
    await repl.waitFor(/ipx repl: 2 engines connected \(ids 0,1\)[^\n]*\nIn \[1\]: $/, {
      timeoutMs: 60_000,
    });
  } catch (error) {
    await repl[Symbol.asyncDispose]();
    throw error;
  }
  return repl;
}
