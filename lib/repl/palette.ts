/**
 * Colours of the REPL: ANSI styles when writing to a terminal, plain text otherwise and
 * whenever `NO_COLOR` is set (https://no-color.org).
 *
 * @module
 */

/** Styles the REPL applies; each returns its text unchanged when colours are off. */
export interface Palette {
  /** Whether colours are on. */
  readonly enabled: boolean;
  /** The `In [n]:` prompt. */
  prompt(text: string): string;
  /** The `Out[…]:` label. */
  outLabel(text: string): string;
  /** Error names and error headers. */
  error(text: string): string;
  /** `[stdout:0]`-style labels. */
  label(text: string): string;
  /** Secondary information (progress, hints). */
  dim(text: string): string;
  /**
   * Shows a value the way `Deno.inspect` does, coloured when colours are on.
   *
   * @param value Any value.
   */
  inspect(value: unknown): string;
}

function style(open: number, close: number, enabled: boolean): (text: string) => string {
  return enabled ? (text) => `\x1b[${open}m${text}\x1b[${close}m` : (text) => text;
}

/**
 * Makes a palette.
 *
 * @param enabled Whether to colour.
 * @returns The palette.
 *
 * @example Usage
 * ```ts
 * import { createPalette } from "./palette.ts";
 * createPalette(false).outLabel("Out[1]:"); // "Out[1]:"
 * ```
 */
export function createPalette(enabled: boolean): Palette {
  return {
    enabled,
    prompt: style(32, 39, enabled),
    outLabel: style(31, 39, enabled),
    error: style(31, 39, enabled),
    label: style(36, 39, enabled),
    dim: style(2, 22, enabled),
    inspect: (value) =>
      Deno.inspect(value, {
        colors: enabled,
        depth: 6,
        iterableLimit: 200,
        strAbbreviateSize: 10_000,
      }),
  };
}

/**
 * Whether to colour: only on a terminal, and never when `NO_COLOR` is set to anything but "".
 *
 * @param isTerminal Whether the output is a terminal.
 * @param noColor The value of `NO_COLOR`, if set.
 * @returns True to colour.
 */
export function wantColors(isTerminal: boolean, noColor: string | undefined): boolean {
  return isTerminal && (noColor === undefined || noColor === "");
}
