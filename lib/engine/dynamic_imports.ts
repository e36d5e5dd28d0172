/**
 * Makes relative dynamic imports in user code resolve against the data dir.
 *
 * Engine code is evaluated through the inspector, as a script without a URL. Deno (2.9) then
 * resolves `import("./m.js")` against the current directory written without a trailing slash
 * (`file:///data`), so `./m.js` names `/m.js` beside the data dir instead of the file in it.
 * Every dynamic `import(` of user code therefore calls {@linkcode DYNAMIC_IMPORT} instead, which
 * the engine's Worker defines: it resolves `./` and `../` specifiers against the current
 * directory (the data dir) and imports the result.
 *
 * @module
 */

import { jsTokens, TokenType } from "../evaluate/js_tokens.ts";

/** Name of the global function that rewritten dynamic imports call (defined in the Worker). */
export const DYNAMIC_IMPORT = "$ipx$import";

/**
 * Replaces the keyword of every dynamic import (`import(…)`, not `import.meta`, `a.import(…)` or
 * a method named `import`) with {@linkcode DYNAMIC_IMPORT}. Nothing else moves: the lines stay
 * the same.
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
