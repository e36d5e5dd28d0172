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

Deno.test("routeDynamicImports() reports code that does not parse as a syntax error", () => {
  assert.throws(() => routeDynamicImports("import('x'"), TypeScriptSyntaxError);
});
