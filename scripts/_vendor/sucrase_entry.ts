/**
 * What `lib/evaluate/vendor/sucrase.js` bundles: the parts of sucrase ipx uses (its transform
 * for type stripping, its parser for tokens). Built by `scripts/vendor.ts`.
 *
 * @module
 */

export { transform } from "sucrase";
// @ts-types="sucrase/dist/types/parser/index.d.ts"
export { parse } from "sucrase/dist/parser/index.js";
// @ts-types="sucrase/dist/types/parser/tokenizer/types.d.ts"
export { TokenType } from "sucrase/dist/parser/tokenizer/types.js";
