/**
 * TypeScript input of the REPL: stripping types before local evaluation (the engines strip
 * their own), and telling a complete cell from one that continues on the next line.
 *
 * @module
 */

import { stripTypes, TypeScriptSyntaxError, wrapObjectLiteral } from "../evaluate/typescript.ts";
import { scanBrackets } from "./open_brackets.ts";

export { stripTypes, TypeScriptSyntaxError, wrapObjectLiteral };

const OPEN_TO_END = /^(Unterminated template|Unterminated comment|Unexpectedly reached the end)/;

/**
 * Whether a cell stops in the middle of a statement, so the REPL should read another line:
 * an open bracket, block, template literal or comment, or a trailing operator. A cell with a
 * syntax error before its end is complete (running it reports the error).
 *
 * @param code The lines so far, joined with newlines.
 * @returns True when more input is needed.
 *
 * @example Usage
 * ```ts
 * import { isIncomplete } from "./ts_source.ts";
 * isIncomplete("function f() {"); // true
 * isIncomplete("1 +* 2"); // false
 * ```
 */
export function isIncomplete(code: string): boolean {
  const end = code.trimEnd().length;
  if (end === 0) return false;
  try {
    stripTypes(code);
    return false;
  } catch (error) {
    if (!(error instanceof TypeScriptSyntaxError)) return false;
    if (OPEN_TO_END.test(error.message) || (error.pos !== undefined && error.pos >= end)) {
      return true;
    }
    // The parser backtracks out of unfinished arrow functions and reports an earlier spot, so
    // close the open brackets and see whether the error moves past what was typed.
    const { closers, mismatched } = scanBrackets(code);
    if (mismatched || closers === "") return false;
    try {
      stripTypes(`${code}\n${closers}`);
      return true;
    } catch (again) {
      const pos = again instanceof TypeScriptSyntaxError ? again.pos : undefined;
      return pos !== undefined && pos >= end;
    }
  }
}
