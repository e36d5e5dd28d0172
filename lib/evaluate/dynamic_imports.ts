/**
 * Makes relative dynamic imports in user code resolve against the current directory: every
 * dynamic `import(` of the code is rewritten to call {@linkcode DYNAMIC_IMPORT}, which the
 * evaluating side defines (the engine's Worker; the REPL's local namespace with
 * `import_from_cwd.ts`). See `import_from_cwd.ts` for why a plain `import("./m.ts")` in
 * code evaluated through the inspector misses.
 *
 * @module
 */

import { DYNAMIC_IMPORT } from "./import_from_cwd.ts";
import { jsTokens, TokenType } from "./js_tokens.ts";

export { DYNAMIC_IMPORT };

/**
 * Replaces the keyword of every dynamic import (`import(…)`, not `import.meta`, `a.import(…)` or
 * a method named `import`) with {@linkcode DYNAMIC_IMPORT}. Nothing else moves: the lines stay
 * the same; strings, comments, templates' text and regular expressions are not touched.
 *
 * @param js JavaScript source (already stripped of types).
 * @returns The rewritten source (the same string when it has no dynamic import).
 * @throws {TypeScriptSyntaxError} if the source does not parse.
 *
 * @example Usage
 * ```ts
 * import { routeDynamicImports } from "./dynamic_imports.ts";
 * routeDynamicImports("await import('./m.js')"); // "await $ipx$import('./m.js')"
 * ```
 */
export function routeDynamicImports(js: string): string {
  if (!js.includes("import")) return js; // most code: no parse needed
  const tokens = jsTokens(js);
  let out = "";
  let at = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type !== TokenType._import || tokens[i + 1]?.type !== TokenType.parenL) continue;
    out += js.slice(at, token.start) + DYNAMIC_IMPORT;
    at = token.end;
  }
  return at === 0 ? js : out + js.slice(at);
}
