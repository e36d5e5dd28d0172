import assert from "node:assert/strict";
import { DYNAMIC_IMPORT, routeDynamicImports } from "./dynamic_imports.ts";
import { TypeScriptSyntaxError } from "./ts_strip.ts";

Deno.test("routeDynamicImports() rewrites every dynamic import() and nothing else", () => {
  assert.equal(DYNAMIC_IMPORT, "$ipx$import");
  assert.equal(
    routeDynamicImports("const m = await import('./m.js');\nimport(`./${n}.js`, { with: {} })"),
    "const m = await $ipx$import('./m.js');\n$ipx$import(`./${n}.js`, { with: {} })",
  );
  assert.equal(routeDynamicImports("`${import('x')}`"), "`${$ipx$import('x')}`");
  for (
    const untouched of [
      "a.import(1)",
      "a?.import(1)",
      "({ import(x) { return x } })",
      "class A { import() {} static import() {} }",
      "const o = { import: 1 }; o.import",
      "/import(/.test(s)",
      "// import('x')\n'import(\"y\")'",
      "1 + 1",
    ]
  ) {
    assert.equal(routeDynamicImports(untouched), untouched);
  }
});

Deno.test("routeDynamicImports() reports code that does not parse as a syntax error", () => {
  assert.throws(() => routeDynamicImports("import('x'"), TypeScriptSyntaxError);
});
