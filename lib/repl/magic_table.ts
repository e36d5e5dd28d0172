/**
 * The table of REPL magics: names, arguments, options and one-line help. `%help`, tab
 * completion and option parsing all read this table, so it is the one place to add a magic
 * (the session's handler table is typed by {@linkcode MagicName} and must follow).
 *
 * @module
 */

/** One option of a magic. */
export interface MagicOption {
  /** Long form, e.g. `--targets`. */
  readonly long: string;
  /** Short alias, e.g. `-t`. */
  readonly short?: string;
  /** Placeholder of the value it takes; absent for flags. */
  readonly value?: string;
  /** The values it accepts, when they are a fixed set. */
  readonly choices?: readonly string[];
  /** Options of the same group exclude each other and share one `[a|b]` in the usage. */
  readonly group?: string;
  /** One line of help. */
  readonly help: string;
}

/** One magic. */
export interface MagicSpec {
  /** Name with its percent signs, e.g. `%%px`. */
  readonly name: string;
  /**
   * `code`: options, then the rest of the line is code; `options`: options only; `cell`:
   * options, then a body.
   */
  readonly args: "none" | "code" | "options" | "cell";
  /** The options it takes. */
  readonly options: readonly MagicOption[];
  /** One line of help. */
  readonly summary: string;
}

const TARGETS: MagicOption = {
  long: "--targets",
  short: "-t",
  value: "SPEC",
  help: "engines: all, an id, a list 0,2 or a slice ::2, 1:3, -1",
};
const BLOCK: MagicOption = {
  long: "--block",
  short: "-b",
  group: "block",
  help: "wait for the result and show it (default)",
};
const NOBLOCK: MagicOption = {
  long: "--noblock",
  short: "-a",
  group: "block",
  help: "return at once; the AsyncResult is bound to _ (or -o NAME)",
};
const GROUP: MagicOption = {
  long: "--group-outputs",
  value: "engine|order|type",
  choices: ["engine", "order", "type"],
  help: "how outputs are grouped when not streamed",
};
const STREAM: MagicOption = {
  long: "--stream",
  group: "stream",
  help: "print output while the code runs (default)",
};
const NO_STREAM: MagicOption = {
  long: "--no-stream",
  group: "stream",
  help: "print output when every engine is done",
};
const OUT: MagicOption = {
  long: "--out",
  short: "-o",
  value: "NAME",
  help: "bind the AsyncResult to NAME in the local namespace",
};

/** Every magic, in the order `%help` lists them. */
export const MAGICS = [
  {
    name: "%px",
    args: "code",
    options: [TARGETS, BLOCK, NOBLOCK, GROUP, STREAM, NO_STREAM, OUT],
    summary: "run CODE on the engines: the current targets (see %pxconfig) unless options say " +
      "otherwise; options go before CODE, -- ends them",
  },
  {
    name: "%%px",
    args: "cell",
    options: [TARGETS, BLOCK, NOBLOCK, GROUP, STREAM, NO_STREAM, OUT],
    summary: "run the lines that follow, up to an empty line, on the engines",
  },
  {
    name: "%autopx",
    args: "none",
    options: [],
    summary: "toggle running every input on the engines",
  },
  {
    name: "%pxresult",
    args: "options",
    options: [GROUP],
    summary: "show the last %px result again (waits for it while it runs)",
  },
  {
    name: "%pxconfig",
    args: "options",
    options: [TARGETS, BLOCK, NOBLOCK, GROUP, STREAM, NO_STREAM],
    summary: "change the defaults of %px, %%px and %autopx; shows them",
  },
  {
    name: "%engines",
    args: "none",
    options: [],
    summary: "list the engines: id, host, pid, data dir, state, queue",
  },
  {
    name: "%help",
    args: "none",
    options: [],
    summary: "show this help",
  },
  {
    name: "%exit",
    args: "none",
    options: [],
    summary: "leave the REPL (Ctrl-D does the same)",
  },
] as const satisfies readonly MagicSpec[];

/** The name of a magic in {@linkcode MAGICS}. */
export type MagicName = typeof MAGICS[number]["name"];

/**
 * Looks a magic up by name.
 *
 * @param name With its percent signs, e.g. `%pxconfig`.
 * @returns The magic, or undefined.
 */
export function findMagic(name: string): (MagicSpec & { name: MagicName }) | undefined {
  return MAGICS.find((m) => m.name === name);
}

/**
 * The usage line of a magic, built from its table entry.
 *
 * @param magic The magic.
 * @returns E.g. `%%px [--targets SPEC] [--block|--noblock] …`.
 *
 * @example Usage
 * ```ts
 * import { findMagic, magicUsage } from "./magic_table.ts";
 * magicUsage(findMagic("%autopx")!); // "%autopx"
 * ```
 */
export function magicUsage(magic: MagicSpec): string {
  const parts: string[] = [magic.name];
  const seen = new Set<string>();
  for (const o of magic.options) {
    if (o.group !== undefined) {
      if (seen.has(o.group)) continue;
      seen.add(o.group);
      const members = magic.options.filter((m) => m.group === o.group).map((m) => m.long);
      parts.push(`[${members.join("|")}]`);
    } else {
      const flag = o.long === "--out" && o.short ? o.short : o.long;
      parts.push(`[${flag}${o.value ? ` ${o.value}` : ""}]`);
    }
  }
  if (magic.args === "code") parts.push("CODE");
  return parts.join(" ");
}

/**
 * The text of `%help`: every magic with its usage and options, and the pre-bound names.
 *
 * @param magics The table (defaults to {@linkcode MAGICS}).
 * @returns Lines ending with a newline.
 */
export function formatHelp(magics: readonly MagicSpec[] = MAGICS): string {
  const lines = ["Magics (Tab completes names and options):"];
  for (const m of magics) {
    lines.push(`  ${magicUsage(m)}`, `      ${m.summary}`);
    for (const o of m.options) {
      const flags = [o.short, o.long].filter(Boolean).join(", ");
      const arg = o.value ? ` ${o.value}` : "";
      lines.push(`      ${`${flags}${arg}`.padEnd(34)} ${o.help}`);
    }
  }
  lines.push(
    "Plain input runs here, in a local TypeScript namespace with rc (the Client), dv (a",
    "DirectView on all engines) and lv (a LoadBalancedView). Ctrl-C interrupts, Ctrl-D exits.",
  );
  return lines.join("\n") + "\n";
}
