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
 * The rewrite itself is shared with the REPL's local namespace: it lives in
 * `lib/evaluate/dynamic_imports.ts`.
 *
 * @module
 */

export { DYNAMIC_IMPORT, routeDynamicImports } from "../evaluate/dynamic_imports.ts";
