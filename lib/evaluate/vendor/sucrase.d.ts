/**
 * Types of `sucrase.js`, the bundled sucrase (see `scripts/vendor.ts`): the package's
 * own declarations, for the names the bundle exports.
 *
 * @module
 */

export { transform } from "sucrase";
export { parse } from "sucrase/dist/types/parser/index.d.ts";
export { TokenType } from "sucrase/dist/types/parser/tokenizer/types.d.ts";
