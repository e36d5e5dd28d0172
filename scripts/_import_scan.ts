/**
 * Finds the module specifiers a TypeScript/JavaScript source imports, with line numbers, using a
 * small tokenizer: comments and the contents of ordinary strings are never mistaken for imports.
 *
 * Recognised: `import … from "x"`, `import "x"`, `export … from "x"`, `import("x")` with a
 * literal, and worker modules: `new Worker(new URL("x", import.meta.url), …)` and
 * `new Worker(import.meta.resolve("x"), …)`. Other `new URL(…)` uses are file references, not
 * imports, and are ignored. Regular-expression
 * literals are told from division by the preceding token, the usual heuristic.
 *
 * @module
 */

/** One import found in a source. */
export interface ImportRef {
  /** The specifier as written. */
  specifier: string;
  /** 1-based line of the specifier. */
  line: number;
  /** How it is imported. */
  kind: "static" | "dynamic" | "worker";
}

interface Token {
  kind: "word" | "string" | "punct" | "other";
  text: string;
  line: number;
}

const WORD_START = /[A-Za-z_$]/;
const WORD_PART = /[\w$]/;
/** After these, a `/` starts a regular expression rather than a division. */
const REGEX_AFTER = new Set("(,=:[!&|?{};+-*%<>~^".split(""));
const REGEX_AFTER_WORDS = new Set(["return", "typeof", "case", "do", "else", "in", "of", "void"]);

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = src.length;
  function advanceTo(end: number): void {
    for (let k = i; k < end; k++) if (src[k] === "\n") line++;
    i = end;
  }
  function regexAllowed(): boolean {
    const prev = tokens[tokens.length - 1];
    if (prev === undefined) return true;
    if (prev.kind === "punct") return REGEX_AFTER.has(prev.text);
    return prev.kind === "word" && REGEX_AFTER_WORDS.has(prev.text);
  }
  while (i < n) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === "/" && next === "/") {
      const end = src.indexOf("\n", i);
      i = end === -1 ? n : end;
    } else if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      advanceTo(end === -1 ? n : end + 2);
    } else if (c === '"' || c === "'" || c === "`") {
      const startLine = line;
      let k = i + 1;
      let value = "";
      while (k < n && src[k] !== c) {
        if (src[k] === "\\") k++;
        else if (c !== "`" && src[k] === "\n") break; // unterminated: stop at the line end
        value += src[k] ?? "";
        k++;
      }
      advanceTo(Math.min(k + 1, n));
      tokens.push({ kind: c === "`" ? "other" : "string", text: value, line: startLine });
    } else if (c === "/" && regexAllowed()) {
      let k = i + 1;
      let inClass = false;
      while (k < n && src[k] !== "\n" && (inClass || src[k] !== "/")) {
        if (src[k] === "\\") k++;
        else if (src[k] === "[") inClass = true;
        else if (src[k] === "]") inClass = false;
        k++;
      }
      k++;
      while (k < n && WORD_PART.test(src[k]!)) k++; // flags
      advanceTo(k);
      tokens.push({ kind: "other", text: "/regex/", line });
    } else if (WORD_START.test(c)) {
      let k = i + 1;
      while (k < n && WORD_PART.test(src[k]!)) k++;
      tokens.push({ kind: "word", text: src.slice(i, k), line });
      i = k;
    } else if (/\d/.test(c)) {
      let k = i + 1;
      while (k < n && /[\w.]/.test(src[k]!)) k++;
      tokens.push({ kind: "other", text: src.slice(i, k), line });
      i = k;
    } else {
      tokens.push({ kind: "punct", text: c, line });
      i++;
    }
  }
  return tokens;
}

function is(token: Token | undefined, kind: Token["kind"], text?: string): boolean {
  return token !== undefined && token.kind === kind && (text === undefined || token.text === text);
}

/** From `start`, finds `from "x"` before the statement ends; returns its string token. */
function findFrom(tokens: Token[], start: number): Token | undefined {
  for (let k = start; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (
      is(t, "punct", ";") || (k > start && (is(t, "word", "import") || is(t, "word", "export")))
    ) {
      return undefined;
    }
    if (is(t, "word", "from") && is(tokens[k + 1], "string")) return tokens[k + 1];
  }
  return undefined;
}

/** Matches `new URL("x", import.meta…` or `import.meta.resolve("x")` at `k`. */
function workerSpecifier(tokens: Token[], k: number): Token | undefined {
  const at = (offset: number, kind: Token["kind"], text?: string) =>
    is(tokens[k + offset], kind, text);
  if (
    at(0, "word", "new") && at(1, "word", "URL") && at(2, "punct", "(") && at(3, "string") &&
    at(4, "punct", ",") && at(5, "word", "import") && at(6, "punct", ".") && at(7, "word", "meta")
  ) {
    return tokens[k + 3];
  }
  if (
    at(0, "word", "import") && at(1, "punct", ".") && at(2, "word", "meta") &&
    at(3, "punct", ".") && at(4, "word", "resolve") && at(5, "punct", "(") && at(6, "string")
  ) {
    return tokens[k + 6];
  }
  return undefined;
}

/**
 * Lists the imports of a source file.
 *
 * @param source The file's text.
 * @returns Every import, in source order.
 * @example Usage
 * ```ts
 * import { findImports } from "./_import_scan.ts";
 * findImports('import { a } from "./a.ts";\n// import "./no.ts"');
 * // [{ specifier: "./a.ts", line: 1, kind: "static" }]
 * ```
 */
export function findImports(source: string): ImportRef[] {
  const tokens = tokenize(source);
  const found: ImportRef[] = [];
  function add(token: Token | undefined, kind: ImportRef["kind"]): void {
    if (token) found.push({ specifier: token.text, line: token.line, kind });
  }
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== "word" || is(tokens[k - 1], "punct", ".")) continue;
    const next = tokens[k + 1];
    if (t.text === "import") {
      if (is(next, "punct", ".")) continue; // import.meta
      if (is(next, "punct", "(")) {
        if (is(tokens[k + 2], "string")) add(tokens[k + 2], "dynamic");
      } else if (is(next, "string")) {
        add(next, "static");
      } else {
        add(findFrom(tokens, k + 1), "static");
      }
    } else if (t.text === "export") {
      const starts = is(next, "punct", "*") || is(next, "punct", "{") ||
        (is(next, "word", "type") && is(tokens[k + 2], "punct", "{"));
      if (starts) add(findFrom(tokens, k + 1), "static");
    } else if (t.text === "new" && is(next, "word", "Worker") && is(tokens[k + 2], "punct", "(")) {
      add(workerSpecifier(tokens, k + 3), "worker");
    }
  }
  return found;
}
