import assert from "node:assert/strict";
import { DYNAMIC_IMPORT, routeDynamicImports } from "./dynamic_imports.ts";
import { TypeScriptSyntaxError } from "./typescript.ts";

Deno.test("routeDynamicImports() rewrites the keyword of dynamic imports only", () => {
  assert.equal(DYNAMIC_IMPORT, "$ipx$import");
  assert.equal(
    routeDynamicImports(
      'const m = await import("./m.ts")\nconst j = await import("../d/x.json", { with: { type: "json" } })',
    ),
    'const m = await $ipx$import("./m.ts")\n' +
      'const j = await $ipx$import("../d/x.json", { with: { type: "json" } })',
  );
  // the specifier is not touched here: $ipx$import decides what to resolve
  assert.equal(
    routeDynamicImports('import("npm:x"); import("/abs/m.ts"); import(p)'),
    '$ipx$import("npm:x"); $ipx$import("/abs/m.ts"); $ipx$import(p)',
  );
  for (
    const untouched of [
      "'import(\"./a.ts\")'",
      '"await import(`./b.ts`)"',
      "`import('./c.ts')`",
      "// import('./d.ts')",
      "/* import('./e.ts') */ 1",
      "/import\\(/.test(s)",
      "a.import('./f.ts')",
      "({ import(x) { return x } })",
      "typeof import.meta",
    ]
  ) {
    assert.equal(routeDynamicImports(untouched), untouched, untouched);
  }
});

Deno.test("routeDynamicImports() rewrites every dynamic import() and nothing else (engine code)", () => {
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
