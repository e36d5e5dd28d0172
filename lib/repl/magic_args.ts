/**
 * Parsing a magic's input line: split `%name rest`, tokenize the rest the way a shell would
 * (quotes group words), and read options against the magic's table entry.
 *
 * @module
 */

import { MagicUsageError } from "./errors.ts";
import type { MagicOption, MagicSpec } from "./magic_table.ts";

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
  return parseWords(magic, tokenize(text));
}

function unknownOption(magic: MagicSpec, word: string, flag: string): MagicUsageError {
  const what = word.startsWith("-") ? `option ${flag}` : `argument "${word}"`;
  const hint = magic.options.length
    ? `its options are ${magic.options.map((o) => o.long).join(", ")}`
    : "it takes no arguments";
  const code = magic.args === "code"
    ? `; code that starts with a dash goes after --, e.g. ${magic.name} -- -x`
    : "";
  return new MagicUsageError(`Unknown ${what} for ${magic.name}: ${hint}${code} (see %help)`);
}

function parseWords(magic: MagicSpec, words: readonly string[]): ParsedOptions {
  const out: ParsedOptions = new Map();
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const eq = word.startsWith("--") ? word.indexOf("=") : -1;
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const option = findOption(magic, flag);
    if (!option) throw unknownOption(magic, word, flag);
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

function findOption(magic: MagicSpec, flag: string): MagicOption | undefined {
  return magic.options.find((o) => o.long === flag || o.short === flag);
}

/** A word that is read as an option in front of code: `--name`, `--name=value` or `-x`. */
const OPTION_START = /^(--[A-Za-z][\w-]*(=|\s|$)|-[A-Za-z](\s|$))/;

/** The word of `text` starting at or after `at` (quotes group), and where it ends. */
function wordAt(text: string, at: number): { word: string; end: number } | undefined {
  let i = at;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (i >= text.length) return undefined;
  let word = "";
  let quote: string | undefined;
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (/\s/.test(ch)) break;
    else word += ch;
  }
  if (quote) {
    throw new MagicUsageError(`Cannot parse the options: a ${quote} quote is not closed`);
  }
  return { word, end: i };
}

/** Options in front of a line magic's code, and the code. */
export interface OptionsAndCode {
  /** Options by long name, as {@linkcode parseMagicOptions} gives them. */
  options: ParsedOptions;
  /** The rest of the line, exactly as typed (trimmed). */
  code: string;
}

/**
 * Reads the options in front of a line magic's code (`%px --targets 0 --noblock CODE`): words
 * that look like options (`--name`, `--name=value`, `-x`) are options, with the value of those
 * that take one; the first other word starts the code, and `--` ends the options (for code that
 * starts with a dash: `%px -- -x`). The code is kept as typed, quotes and spaces included.
 *
 * @param magic The magic's table entry.
 * @param text Everything after the magic's name.
 * @returns The options and the code ("" when there is none).
 * @throws {MagicUsageError} for an unknown option or a missing or invalid value.
 *
 * @example Usage
 * ```ts
 * import { parseOptionsAndCode } from "./magic_args.ts";
 * import { findMagic } from "./magic_table.ts";
 * parseOptionsAndCode(findMagic("%px")!, "-t 0 --noblock 'a b'.length");
 * // { options: Map { "--targets" => "0", "--noblock" => true }, code: "'a b'.length" }
 * ```
 */
export function parseOptionsAndCode(magic: MagicSpec, text: string): OptionsAndCode {
  const words: string[] = [];
  let at = 0;
  for (;;) {
    const start = text.slice(at).trimStart();
    if (/^--(\s|$)/.test(start)) {
      at = text.length - start.length + 2;
      break;
    }
    // the code's first word is not read as a word: its quotes are the code's
    if (!OPTION_START.test(start)) break;
    const next = wordAt(text, at)!;
    words.push(next.word);
    at = next.end;
    const option = findOption(magic, next.word);
    if (option?.value !== undefined) {
      const value = wordAt(text, at);
      if (value !== undefined) {
        words.push(value.word);
        at = value.end;
      }
    }
  }
  return { options: parseWords(magic, words), code: text.slice(at).trim() };
}
