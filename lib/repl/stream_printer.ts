/**
 * Turns engine output chunks into printable text: with prefixes, whole lines as
 * `[stdout:EID] line` / `[stderr:EID] line` (a partial line waits for its newline or the end);
 * without (stdout of a single engine), the text as it comes. Stack frames of ipx itself (from
 * `console.trace()` or a printed error) are left out.
 *
 * @module
 */

import { trimOwnFrames, withoutOwnFrames } from "./own_frames.ts";
import type { Palette } from "./palette.ts";

/** One piece of engine output. */
export interface Chunk {
  /** Engine that printed it. */
  engineId: number;
  /** Stream. */
  name: "stdout" | "stderr";
  /** Text, possibly part of a line. */
  text: string;
}

/** Stateful chunk-to-text converter for one execution. */
export class StreamPrinter {
  #prefixStdout: boolean;
  #palette: Palette;
  #partial = new Map<string, string>();
  #atLineStart = true;

  /**
   * @param options `prefixStdout`: label stdout lines too (the REPL always does); stderr is
   * always labelled.
   * @param palette Colours of the labels.
   */
  constructor(options: { prefixStdout: boolean }, palette: Palette) {
    this.#prefixStdout = options.prefixStdout;
    this.#palette = palette;
  }

  #label(c: { engineId: number; name: string }): string {
    return this.#palette.label(`[${c.name}:${c.engineId}]`);
  }

  /**
   * Takes a chunk.
   *
   * @param chunk The output.
   * @returns Text to print now (maybe "").
   */
  push(chunk: Chunk): string {
    if (chunk.name === "stdout" && !this.#prefixStdout) {
      const text = trimOwnFrames(chunk.text);
      if (text === "") return "";
      this.#atLineStart = text.endsWith("\n");
      return text;
    }
    const key = `${chunk.name}:${chunk.engineId}`;
    const text = (this.#partial.get(key) ?? "") + chunk.text;
    const all = text.split("\n");
    this.#partial.set(key, all.pop()!);
    const lines = withoutOwnFrames(all);
    if (lines.length === 0) return "";
    const lead = this.#atLineStart ? "" : "\n";
    this.#atLineStart = true;
    return lead + lines.map((line) => `${this.#label(chunk)} ${line}\n`).join("");
  }

  /**
   * Ends the output: partial lines are printed with a newline added.
   *
   * @returns Text to print (maybe "").
   */
  flush(): string {
    let out = this.#atLineStart ? "" : "\n";
    this.#atLineStart = true;
    for (const [key, rest] of this.#partial) {
      if (rest === "") continue;
      const [name, id] = key.split(":");
      out += `${this.#label({ name: name!, engineId: Number(id) })} ${rest}\n`;
    }
    this.#partial.clear();
    return out;
  }
}

/**
 * Prints a list of chunks in one go.
 *
 * @param chunks The chunks, in the order to print them.
 * @param options As for {@linkcode StreamPrinter}.
 * @param palette Colours.
 * @returns The text.
 */
export function printChunks(
  chunks: readonly Chunk[],
  options: { prefixStdout: boolean },
  palette: Palette,
): string {
  const printer = new StreamPrinter(options, palette);
  return chunks.map((c) => printer.push(c)).join("") + printer.flush();
}
