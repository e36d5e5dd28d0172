import assert from "node:assert/strict";
import { findImports } from "./_import_scan.ts";

function specs(source: string): string[] {
  return findImports(source).map((ref) => `${ref.line}:${ref.kind}:${ref.specifier}`);
}

Deno.test("findImports() finds static, type, side-effect and re-export imports with lines", () => {
  const source = [
    'import { a } from "./a.ts";',
    "import type {",
    "  B,",
    '} from "../b.ts";',
    'import "./side.ts";',
    'export * from "./c.ts";',
    'export { d } from "./d.ts";',
    'export type { E } from "./e.ts";',
    'import def, * as ns from "node:path";',
    'import json from "./deno.json" with { type: "json" };',
  ].join("\n");
  assert.deepEqual(specs(source), [
    "1:static:./a.ts",
    "4:static:../b.ts",
    "5:static:./side.ts",
    "6:static:./c.ts",
    "7:static:./d.ts",
    "8:static:./e.ts",
    "9:static:node:path",
    "10:static:./deno.json",
  ]);
});

Deno.test("findImports() finds dynamic imports and worker modules", () => {
  const source = [
    'const m = await import("./lazy.ts");',
    'new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });',
    'new Worker(import.meta.resolve("./w2.ts"));',
    'const file = new URL("../../deno.json", import.meta.url); // a file, not an import',
  ].join("\n");
  assert.deepEqual(specs(source), [
    "1:dynamic:./lazy.ts",
    "2:worker:./worker.ts",
    "3:worker:./w2.ts",
  ]);
});

Deno.test("findImports() ignores comments, strings and regular expressions", () => {
  const source = [
    "/**",
    " * @example",
    ' * import { x } from "../controller/mod.ts";',
    " */",
    '// import "./commented.ts";',
    "const code = 'import { y } from \"./in_string.ts\"';",
    'const t = `export * from "./in_template.ts"`;',
    'const re = /import "x"/g;',
    "const half = 4 / 2; const other = 6 / 3;",
    "export const z = 1; export { z as w };",
    'import { real } from "./real.ts";',
  ].join("\n");
  assert.deepEqual(specs(source), ["11:static:./real.ts"]);
});

Deno.test("findImports() does not read past the end of an unfinished statement", () => {
  assert.deepEqual(specs("import {\n"), []);
  assert.deepEqual(specs('import { a }\nimport "./b.ts";'), ["2:static:./b.ts"]);
});
