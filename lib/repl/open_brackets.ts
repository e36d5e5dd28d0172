/**
 * A rough scanner of JavaScript/TypeScript brackets: which `(`, `[`, `{` and `${` are still
 * open at the end of some code. It skips strings, comments, template text and (by a
 * previous-token guess) regular expressions. Used only to guess the closers that would
 * complete a cell, so its rare mistakes cost a continuation prompt, never a wrong result.
 *
 * @module
 */

const CLOSER: Record<string, string> = { "(": ")", "[": "]", "{": "}", "${": "}" };
/** After these characters a `/` starts a regular expression rather than a division. */
const BEFORE_REGEX = new Set([..."(,=:[!&|?{};+-*%<>~^"]);

/** What the scanner found. */
export interface BracketScan {
  /** The closers that would balance the code, innermost first (e.g. `")}"`). */
  closers: string;
  /** A closer that matched no opener (the code is wrong, not unfinished). */
  mismatched: boolean;
}

/**
 * Scans code for brackets left open at its end.
 *
 * @param code The code.
 * @returns The missing closers and whether a closer was mismatched.
 *
 * @example Usage
 * ```ts
 * import { scanBrackets } from "./open_brackets.ts";
 * scanBrackets("f(() => {").closers; // "})"
 * ```
 */
export function scanBrackets(code: string): BracketScan {
  const stack: string[] = [];
  let mismatched = false;
  let prev = ""; // last significant character outside strings and comments
  let i = 0;
  const n = code.length;
  const skipString = (quote: string) => {
    i++;
    while (i < n && code[i] !== quote && code[i] !== "\n") i += code[i] === "\\" ? 2 : 1;
    i++;
  };
  const skipTemplateText = (): boolean => {
    // inside a template literal: returns true on `${`, false on the closing backtick or end
    while (i < n) {
      const c = code[i];
      if (c === "\\") i += 2;
      else if (c === "`") {
        i++;
        return false;
      } else if (c === "$" && code[i + 1] === "{") {
        i += 2;
        return true;
      } else i++;
    }
    stack.push("`");
    return false;
  };
  while (i < n) {
    const c = code[i]!;
    if (c === "/" && code[i + 1] === "/") {
      while (i < n && code[i] !== "\n") i++;
    } else if (c === "/" && code[i + 1] === "*") {
      const end = code.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      skipString(c);
      prev = c;
    } else if (c === "`") {
      i++;
      if (skipTemplateText()) stack.push("${");
      prev = "`";
    } else if (c === "/" && (prev === "" || BEFORE_REGEX.has(prev))) {
      i++;
      let inClass = false;
      while (i < n && code[i] !== "\n" && (inClass || code[i] !== "/")) {
        if (code[i] === "\\") i++;
        else if (code[i] === "[") inClass = true;
        else if (code[i] === "]") inClass = false;
        i++;
      }
      i++;
      prev = "/";
    } else if (c === "(" || c === "[" || c === "{") {
      stack.push(c);
      prev = c;
      i++;
    } else if (c === ")" || c === "]" || c === "}") {
      const open = stack.pop();
      i++;
      if (open === undefined || CLOSER[open] !== c) mismatched = true;
      else if (open === "${" && skipTemplateText()) stack.push("${");
      prev = c;
    } else {
      if (!/\s/.test(c)) prev = c;
      i++;
    }
  }
  const closers = stack.reverse().map((open) =>
    open === "`" ? "`" : open === "${" ? "}`" : CLOSER[open]
  )
    .join("");
  return { closers, mismatched };
}
