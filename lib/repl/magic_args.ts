/**
 * Parsing a magic's input line: split `%name rest`, tokenize the rest the way a shell would
 * (quotes group words), and read options against the magic's table entry.
 *
 * @module
 */

import { MagicUsageError } from "./errors.ts";
import type { MagicSpec } from "./magic_table.ts";

/** A magic line split into its name and the rest. */
export interface MagicCall {
  /** Name with its percent signs, e.g. `%%px`. */
  name: string;
  /** Everything after the name, without the separating whitespace. */
  rest: string;
}

/**
 * Splits a line that starts with `%` into the magic name and the rest.
 *
 * @param line The input line.
 * @returns The call, or undefined when the line is not a magic.
 *
 * @example Usage
 * ```ts
 * import { splitMagic } from "./magic_args.ts";
 * splitMagic("%px 1 + 1"); // { name: "%px", rest: "1 + 1" }
 * ```
 */
export function splitMagic(line: string): MagicCall | undefined {
  const m = /^\s*(%%?[A-Za-z_][\w]*)(?:\s+([\s\S]*))?$/.exec(line);
  if (!m) return undefined;
  return { name: m[1]!, rest: (m[2] ?? "").trim() };
}

/**
 * Splits an argument string into words; single or double quotes group words.
 *
 * @param text The arguments.
 * @returns The words, quotes removed.
 * @throws {MagicUsageError} for an unterminated quote.
 */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) {
    throw new MagicUsageError(`Cannot parse the options: a ${quote} quote is not closed`);
  }
  if (inWord) words.push(word);
  return words;
}

/** Parsed options: long name → value (`true` for flags). */
export type ParsedOptions = Map<string, string | true>;

/**
 * Reads options for a magic from its argument string.
 *
 * @param magic The magic's table entry.
 * @param text The arguments, e.g. `--targets ::2 --noblock`.
 * @returns Options by long name; a later option of the same group replaces an earlier one.
 * @throws {MagicUsageError} for unknown options, missing or invalid values, or extra words.
 *
 * @example Usage
 * ```ts
 * import { parseMagicOptions } from "./magic_args.ts";
 * import { findMagic } from "./magic_table.ts";
 * parseMagicOptions(findMagic("%pxconfig")!, "-t 0 --noblock");
 * // Map { "--targets" => "0", "--noblock" => true }
 * ```
 */
export function parseMagicOptions(magic: MagicSpec, text: string): ParsedOptions {
  const words = tokenize(text);
  const out: ParsedOptions = new Map();
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const eq = word.startsWith("--") ? word.indexOf("=") : -1;
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const option = magic.options.find((o) => o.long === flag || o.short === flag);
    if (!option) {
      const what = word.startsWith("-") ? `option ${flag}` : `argument "${word}"`;
      const hint = magic.options.length
        ? `its options are ${magic.options.map((o) => o.long).join(", ")}`
        : "it takes no arguments";
      throw new MagicUsageError(`Unknown ${what} for ${magic.name}: ${hint} (see %help)`);
    }
    let value: string | true = true;
    if (option.value !== undefined) {
      const next = eq > 0 ? word.slice(eq + 1) : words[++i];
      if (next === undefined || next === "") {
        throw new MagicUsageError(
          `Option ${option.long} of ${magic.name} needs a value: ${option.long} ${option.value}`,
        );
      }
      if (option.choices && !option.choices.includes(next)) {
        throw new MagicUsageError(
          `Invalid value "${next}" for ${option.long}: use one of ${option.choices.join(", ")}`,
        );
      }
      value = next;
    } else if (eq > 0) {
      throw new MagicUsageError(`Option ${option.long} of ${magic.name} takes no value`);
    }
    if (option.group !== undefined) {
      for (const o of magic.options) if (o.group === option.group) out.delete(o.long);
    }
    out.set(option.long, value);
  }
  return out;
}
