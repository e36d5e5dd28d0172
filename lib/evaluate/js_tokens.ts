/**
 * JavaScript tokens of user code (sucrase's tokenizer), for the source rewrites that must not
 * touch strings, comments or regular expressions: loop interrupt checks
 * (`interrupt_checks.ts`) and the engine's dynamic-import routing
 * (`lib/engine/dynamic_imports.ts`).
 *
 * @module
 */

import { parse, TokenType } from "./vendor/sucrase.js";
import { TypeScriptSyntaxError } from "./typescript.ts";

export { TokenType };

/** A token: its type (a {@linkcode TokenType}) and where it stands in the source. */
export interface JsToken {
  /** Its {@linkcode TokenType}. */
  type: number;
  /** Offset of its first character. */
  start: number;
  /** Offset just past its last character. */
  end: number;
}

/**
 * Tokenizes plain JavaScript (types already stripped).
 *
 * @param js The source.
 * @returns Its tokens, in order.
 * @throws {TypeScriptSyntaxError} when it does not parse, saying to fix the syntax.
 */
export function jsTokens(js: string): JsToken[] {
  try {
    return parse(js, false, false, false).tokens;
  } catch (error) {
    throw new TypeScriptSyntaxError(
      `Cannot parse the code: ${error instanceof Error ? error.message : String(error)}; ` +
        `fix the syntax and run it again`,
      { cause: error },
    );
  }
}
