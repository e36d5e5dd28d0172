/**
 * Where the REPL writes: an {@linkcode OutputSink} plus, on a terminal, one live status line
 * (the `%px` progress) kept below the output: it is erased before output is written and drawn
 * again after it.
 *
 * @module
 */

/** Something text can be written to. */
export interface OutputSink {
  /**
   * Writes text at once (synchronously).
   *
   * @param text The text.
   */
  write(text: string): void;
  /** Whether the sink is a terminal (status lines and colours are only drawn there). */
  readonly isTerminal: boolean;
}

const ERASE_LINE = "\r\x1b[2K";

/** The REPL's output, with an optional status line on terminals. */
export class ReplConsole {
  #sink: OutputSink;
  #status: string | undefined;
  #shown = false;
  #atLineStart = true;

  /** @param sink Where text goes. */
  constructor(sink: OutputSink) {
    this.#sink = sink;
  }

  /** Whether the output is a terminal. */
  get isTerminal(): boolean {
    return this.#sink.isTerminal;
  }

  /**
   * Writes text (above the status line, if one is shown).
   *
   * @param text The text; "" writes nothing.
   */
  write(text: string): void {
    if (text === "") return;
    if (this.#shown) {
      this.#sink.write(ERASE_LINE);
      this.#shown = false;
    }
    this.#sink.write(text);
    this.#atLineStart = text.endsWith("\n");
    this.#draw();
  }

  /**
   * Shows, replaces or (with undefined) removes the status line. Ignored when the output is
   * not a terminal.
   *
   * @param text One line without a newline, or undefined.
   */
  setStatus(text: string | undefined): void {
    if (!this.#sink.isTerminal) return;
    this.#status = text;
    if (this.#shown) {
      this.#sink.write(ERASE_LINE);
      this.#shown = false;
    }
    this.#draw();
  }

  #draw(): void {
    // a status line may only start at the beginning of a line: wait for the newline
    if (this.#status === undefined || !this.#atLineStart) return;
    this.#sink.write(this.#status);
    this.#shown = true;
  }
}

/**
 * The progress line of a blocking `%px`.
 *
 * @param done Engines finished.
 * @param total Engines running the code.
 * @param elapsedMs Time since it was submitted.
 * @returns E.g. `[progress] 1/2 engines done, 3.2 s elapsed (Ctrl-C interrupts)`.
 */
export function formatProgress(done: number, total: number, elapsedMs: number): string {
  return `[progress] ${done}/${total} engines done, ${(elapsedMs / 1000).toFixed(1)} s elapsed ` +
    `(Ctrl-C interrupts)`;
}
