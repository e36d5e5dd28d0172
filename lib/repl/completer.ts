/**
 * Tab completion: magic names, their options and option values (from the magic table), local
 * names and properties, and — in `%px` lines, `%%px` bodies and autopx mode — the names
 * defined in the engines' namespaces.
 *
 * @module
 */

import { findMagic, MAGICS } from "./magic_table.ts";

/** Where completion candidates come from. */
export interface CompletionSources {
  /** Names in the local namespace. */
  localNames(): Promise<string[]>;
  /**
   * Property names of a local expression's value.
   *
   * @param expression E.g. `rc.engines`.
   */
  localProperties(expression: string): Promise<string[]>;
  /** Names defined on the engines. */
  engineNames(): Promise<string[]>;
  /** Registered engine ids (for `--targets`). */
  engineIds(): number[];
}

/** readline's completion result: candidates, and the text they replace. */
export type Completion = [string[], string];

function matching(candidates: Iterable<string>, prefix: string): string[] {
  return [...new Set(candidates)].filter((c) => c.startsWith(prefix)).sort();
}

async function completeCode(
  code: string,
  onEngines: boolean,
  sources: CompletionSources,
): Promise<Completion> {
  const token = /[\p{L}\p{N}$_.]*$/u.exec(code)?.[0] ?? "";
  const dot = token.lastIndexOf(".");
  if (dot >= 0) {
    const expression = token.slice(0, dot);
    const prefix = token.slice(dot + 1);
    if (onEngines || !/^[\p{L}$_][\p{L}\p{N}$_.]*$/u.test(expression)) return [[], token];
    const props = await sources.localProperties(expression);
    return [matching(props, prefix).map((p) => `${expression}.${p}`), token];
  }
  const names = onEngines ? await sources.engineNames() : await sources.localNames();
  return [matching(names, token), token];
}

function completeOptions(name: string, rest: string, sources: CompletionSources): Completion {
  const spec = findMagic(name);
  const words = rest.split(/\s+/);
  const last = words.at(-1) ?? "";
  const previous = words.at(-2);
  if (!spec) return [[], last];
  const takesValue = previous === undefined
    ? undefined
    : spec.options.find((o) =>
      (o.long === previous || o.short === previous) && o.value !== undefined
    );
  if (takesValue?.long === "--targets") {
    return [matching(["all", ...sources.engineIds().map(String)], last), last];
  }
  if (takesValue?.choices) return [matching(takesValue.choices, last), last];
  if (takesValue) return [[], last];
  if (last === "" || last.startsWith("-")) {
    return [matching(spec.options.map((o) => o.long), last), last];
  }
  return [[], last];
}

/** Whether the last word of a line magic's rest is still one of the options before its code. */
function typingOptions(name: string, rest: string): boolean {
  const spec = findMagic(name);
  if (!spec) return false;
  const words = rest.split(/\s+/);
  for (let i = 0; i < words.length - 1; i++) {
    const word = words[i]!;
    if (!word.startsWith("-") || word === "--") return false;
    const option = spec.options.find((o) => o.long === word || o.short === word);
    if (option?.value !== undefined) i++;
    if (i === words.length - 1) return true; // the option's value is being typed
  }
  return (words.at(-1) ?? "").startsWith("-");
}

/**
 * Completes the line being typed.
 *
 * @param line The text left of the cursor.
 * @param engineCode The line is engine code (a `%%px` body, or autopx mode).
 * @param sources Where names come from.
 * @returns The candidates and the text they replace.
 *
 * @example Usage
 * ```ts ignore
 * await complete("%px", false, sources); // [["%px", "%pxconfig", "%pxresult"], "%px"]
 * ```
 */
export async function complete(
  line: string,
  engineCode: boolean,
  sources: CompletionSources,
): Promise<Completion> {
  const magicName = /^\s*(%%?[\w]*)$/.exec(line);
  if (magicName) {
    const typed = magicName[1]!;
    return [matching(MAGICS.map((m) => m.name), typed), typed];
  }
  const magic = /^\s*(%%?\w+)\s+([\s\S]*)$/.exec(line);
  if (magic) {
    const [, name, rest] = magic as unknown as [string, string, string];
    if (findMagic(name)?.args === "code" && !typingOptions(name, rest)) {
      return await completeCode(rest, true, sources);
    }
    return completeOptions(name, rest, sources);
  }
  return await completeCode(line, engineCode, sources);
}
