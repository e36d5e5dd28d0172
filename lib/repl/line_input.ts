/**
 * Where the REPL's input lines come from: {@linkcode LineInput} is what the loop needs;
 * {@linkcode StreamLineInput} reads a byte stream (a pipe or a file: no prompts, no line
 * editing). The terminal implementation is in `_terminal.ts`.
 *
 * @module
 */

/** A source of input lines. */
export interface LineInput {
  /**
   * Reads the next line, showing `prompt` first when interactive.
   *
   * @param prompt The prompt.
   * @returns The line without its newline, or null at the end of the input.
   */
  read(prompt: string): Promise<string | null>;
  /** Stops reading; a pending {@linkcode read} returns null. */
  close(): void;
  /**
   * Records a cell for recalling it later (terminals: the up arrow brings back the whole cell;
   * a recalled cell of several lines comes back from {@linkcode read} as one string with `\n`).
   *
   * @param source The cell's lines joined with `\n`.
   */
  remember?(source: string): void;
  /**
   * A local cell starts (true) or ended (false). A terminal lets Ctrl-C through as a signal
   * meanwhile: the REPL's thread runs the cell and reads no keys.
   *
   * @param running Whether a local cell runs now.
   */
  localCell?(running: boolean): void;
  /**
   * Prints text above a prompt that waits for input, keeping the line being edited.
   *
   * @param text Lines ending with a newline.
   * @returns False when no prompt waits (the caller writes the text as any output).
   */
  above?(text: string): boolean;
}

/** Reads lines from a byte stream (UTF-8; `\n` or `\r\n` endings; a last line without one). */
export class StreamLineInput implements LineInput {
  #reader: ReadableStreamDefaultReader<string>;
  #lines: string[] = [];
  #buffer = "";
  #ended = false;
  #closed = Promise.withResolvers<null>();

  /** @param stream The bytes, e.g. `Deno.stdin.readable`. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /**
   * Reads the next line (the prompt is not shown).
   *
   * @param _prompt Ignored.
   * @returns The line, or null at the end.
   */
  async read(_prompt: string): Promise<string | null> {
    while (this.#lines.length === 0 && !this.#ended) {
      const next = await Promise.race([this.#reader.read(), this.#closed.promise]);
      if (next === null || next.done) {
        this.#ended = true;
        if (this.#buffer !== "") this.#lines.push(this.#buffer);
        this.#buffer = "";
        break;
      }
      const parts = (this.#buffer + next.value).split("\n");
      this.#buffer = parts.pop()!;
      this.#lines.push(...parts);
    }
    const line = this.#lines.shift();
    return line === undefined ? null : line.replace(/\r$/, "");
  }

  /** Stops reading. */
  close(): void {
    this.#ended = true;
    this.#lines = [];
    this.#closed.resolve(null);
    this.#reader.cancel().catch(() => {});
  }
}
