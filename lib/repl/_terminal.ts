/**
 * The terminal seam: the only REPL file that touches the process's stdin, stdout, stderr,
 * signals and global error events. Line editing is node:readline (raw mode, so Ctrl-C
 * arrives as a key, not as a signal to the whole process group).
 *
 * @module
 */

import process from "node:process";
import * as readline from "node:readline";
import type { LineInput } from "./line_input.ts";
import type { OutputSink } from "./repl_console.ts";

/** Whether standard input is a terminal (otherwise the REPL reads a script). */
export function stdinIsTerminal(): boolean {
  return Deno.stdin.isTerminal();
}

/** Whether standard output is a terminal. */
export function stdoutIsTerminal(): boolean {
  return Deno.stdout.isTerminal();
}

function writeAllSync(file: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = new TextEncoder().encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
}

/**
 * Standard output as a sink (synchronous, so it interleaves with readline's prompt).
 *
 * @param isTerminal Whether to treat it as a terminal (status lines).
 * @returns The sink.
 */
export function stdoutSink(isTerminal: boolean): OutputSink {
  return { isTerminal, write: (text) => writeAllSync(Deno.stdout, text) };
}

/**
 * Writes to standard error.
 *
 * @param text The text.
 */
export function writeStderr(text: string): void {
  writeAllSync(Deno.stderr, text);
}

/** Signals that end or interrupt the REPL. */
export type ReplSignal = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGQUIT";

/**
 * Listens for SIGINT, SIGTERM, SIGHUP and SIGQUIT (so they never kill the REPL before it
 * cleans up: a Ctrl-\ while a local cell runs, when the terminal passes it as a signal, ends
 * the REPL as SIGTERM does, not with a core dump that leaves the terminal in raw mode).
 *
 * @param handler Called per signal.
 * @returns Stops listening.
 */
export function onSignals(handler: (signal: ReplSignal) => void): () => void {
  const signals: ReplSignal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
  const listeners = signals.map((s) => [s, () => handler(s)] as const);
  for (const [s, l] of listeners) Deno.addSignalListener(s, l);
  return () => {
    for (const [s, l] of listeners) Deno.removeSignalListener(s, l);
  };
}

/**
 * Keeps errors of background code (a rejected promise nobody awaited, a throwing timer in a
 * local cell) from ending the REPL: they are reported instead.
 *
 * @param report Receives what was thrown.
 * @returns Stops listening.
 */
export function onBackgroundErrors(report: (thrown: unknown) => void): () => void {
  const rejection = (e: PromiseRejectionEvent) => {
    e.preventDefault();
    report(e.reason);
  };
  const error = (e: ErrorEvent) => {
    e.preventDefault();
    report(e.error ?? e.message);
  };
  globalThis.addEventListener("unhandledrejection", rejection);
  globalThis.addEventListener("error", error);
  return () => {
    globalThis.removeEventListener("unhandledrejection", rejection);
    globalThis.removeEventListener("error", error);
  };
}

/** Options of {@linkcode TerminalInput}. */
export interface TerminalInputOptions {
  /** Completes the text left of the cursor. */
  complete(line: string): Promise<[string[], string]>;
  /** Earlier input, newest first. */
  history: string[];
  /** How many lines readline keeps. @default 1000 */
  historySize?: number;
  /**
   * Ctrl-C. At a prompt the typed line is already cleared; the handler should drop any
   * pending cell and return the prompt to show next. While a cell runs it returns undefined.
   */
  onInterrupt(atPrompt: boolean): string | undefined;
  /**
   * Ctrl-D on an empty line at a prompt. The handler returns the prompt to show next when it
   * dropped a cell still being typed (Ctrl-D on a `...:` line), or undefined to end the input.
   * @default ends the input
   */
  onEndOfLine?(): string | undefined;
}

/** What readline reports of a key. */
interface Key {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
}

/**
 * Lines from the terminal, with editing, completion, history and Ctrl-C/Ctrl-D. The history
 * holds whole cells ({@linkcode TerminalInput.remember}), not the lines readline would add:
 * readline shows and edits an entry of several lines as it is, and returns it as one line
 * with `\n` in it when Enter is pressed.
 */
export class TerminalInput implements LineInput {
  #rl: readline.Interface;
  #history: string[];
  #historySize: number;
  #queue: string[] = [];
  #waiter: ((line: string | null) => void) | undefined;
  #ended = false;
  #onKey: (s: string | undefined, key: Key | undefined) => void;

  /** @param options Completion, history, Ctrl-C and Ctrl-D handling. */
  constructor(options: TerminalInputOptions) {
    this.#historySize = options.historySize ?? 1000;
    this.#history = options.history.slice(0, this.#historySize);
    this.#rl = readline.createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: true,
      history: [...this.#history],
      historySize: this.#historySize,
      removeHistoryDuplicates: true,
      completer: (line: string, done: (e: Error | null, r: [string[], string]) => void) => {
        options.complete(line).then((r) => done(null, r), () => done(null, [[], line]));
      },
    });
    this.#rl.on("line", (line: string) => {
      this.#setReadlineHistory(); // drop the line readline added: the session records cells
      this.#deliver(line);
    });
    this.#rl.on("close", () => {
      this.#ended = true;
      this.#deliver(null);
    });
    // Ctrl-D on an empty line closes readline for good; on a `...:` line it should only drop
    // the unfinished cell. This listener runs before readline's (prepended): it gives readline
    // a character to delete instead, so readline stays open, and then drops the cell.
    this.#onKey = (_s: string | undefined, key: Key | undefined) => {
      if (!key?.ctrl || key.meta || key.name !== "d" || !this.#waiter) return;
      if (this.#rl.line !== "" || this.#rl.cursor !== 0) return;
      const prompt = options.onEndOfLine?.();
      if (prompt === undefined) return;
      (this.#rl as { line: string }).line = " ";
      queueMicrotask(() => {
        process.stdout.write("^D (the unfinished cell was dropped; Ctrl-D again exits)\n");
        this.#rl.setPrompt(prompt);
        this.#rl.prompt();
      });
    };
    process.stdin.prependListener("keypress", this.#onKey);
    this.#rl.on("SIGINT", () => {
      if (!this.#waiter) {
        options.onInterrupt(false);
        return;
      }
      this.#rl.write(null, { ctrl: true, name: "e" });
      this.#rl.write(null, { ctrl: true, name: "u" });
      process.stdout.write("^C\n");
      const prompt = options.onInterrupt(true);
      if (prompt !== undefined) this.#rl.setPrompt(prompt);
      this.#rl.prompt();
    });
  }

  #setReadlineHistory(): void {
    (this.#rl as unknown as { history: string[] }).history = [...this.#history];
  }

  /**
   * While a local cell runs, the terminal turns Ctrl-C into SIGINT (raw mode with signals), so
   * a cell that spins can be stopped (see `local_interrupt.ts`); after it, plain raw mode again,
   * where readline reads Ctrl-C as a key.
   *
   * @param running Whether a local cell runs now.
   */
  localCell(running: boolean): void {
    if (!Deno.stdin.isTerminal()) return;
    try {
      Deno.stdin.setRaw(true, { cbreak: running });
    } catch {
      // the terminal went away: the next read says so
    }
  }

  /**
   * Records a cell for the up arrow (newest first, an equal older entry removed).
   *
   * @param source The cell's lines joined with `\n`.
   */
  remember(source: string): void {
    this.#history = [source, ...this.#history.filter((e) => e !== source)].slice(
      0,
      this.#historySize,
    );
    this.#setReadlineHistory();
  }

  /**
   * Prints a line above the prompt while it waits for input (an engine notice): the prompt and
   * the text being edited are erased, the line is written, and both are drawn again below it
   * with the cursor where it was.
   *
   * @param text Lines ending with a newline.
   * @returns False when no prompt waits (a cell runs: write it as any output instead).
   */
  above(text: string): boolean {
    if (!this.#waiter || this.#ended) return false;
    const rl = this.#rl as readline.Interface & { prevRows?: number };
    const out = process.stdout;
    readline.moveCursor(out, 0, -rl.getCursorPos().rows);
    readline.cursorTo(out, 0);
    readline.clearScreenDown(out);
    out.write(text);
    // readline redraws from the row it last left the cursor on: that row is now the text's
    rl.prevRows = 0;
    rl.prompt(true);
    return true;
  }

  #deliver(line: string | null): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) waiter(line);
    else if (line !== null) this.#queue.push(line);
  }

  /**
   * Shows the prompt and reads a line (or returns one typed ahead while a cell ran).
   *
   * @param prompt The prompt.
   * @returns The line, or null after Ctrl-D.
   */
  read(prompt: string): Promise<string | null> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#ended) return Promise.resolve(null);
    this.#rl.setPrompt(prompt);
    this.#rl.prompt();
    return new Promise((resolve) => this.#waiter = resolve);
  }

  /** Restores the terminal and stops reading. */
  close(): void {
    process.stdin.off("keypress", this.#onKey);
    if (!this.#ended) this.#rl.close();
    this.#ended = true;
  }
}
