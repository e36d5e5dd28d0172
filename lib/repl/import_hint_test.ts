import assert from "node:assert/strict";
import { startTestRepl } from "../../tests/_helpers/repl_capture.ts";
import { importHint, isStaticImportError } from "./import_hint.ts";

const LEAD = "; cells are not modules: use a dynamic import instead: ";
const CWD = " (relative paths are taken from the current directory)";

Deno.test("importHint() rewrites the cell's first import in its dynamic form", () => {
  const cases: Array<[string, string]> = [
    ['import x from "./m.ts"', 'const { default: x } = await import("./m.ts")' + CWD],
    ['import x from "node:os"', 'const { default: x } = await import("node:os")'],
    [
      'import data from "../d/x.json" with { type: "json" }',
      'const { default: data } = await import("../d/x.json", { with: { type: "json" } })' + CWD,
    ],
    [
      "import * as cfg from '/etc/c.json' assert {type:'json'}",
      "const cfg = await import(\"/etc/c.json\", { with: {type:'json'} })",
    ],
    [
      'import "./x.css" with { type: "text" }',
      'await import("./x.css", { with: { type: "text" } })' + CWD,
    ],
    ["import * as path from 'node:path'", 'const path = await import("node:path")'],
    [
      'let a = 1; import { join, type X, sep as s } from "node:path"',
      'const { join, X, sep: s } = await import("node:path")',
    ],
    ['import "./setup.ts"', 'await import("./setup.ts")' + CWD],
    ['import x, { y } from "m"', 'const m = await import("m")'],
    ["import.meta.url; x", 'const m = await import("/abs/path.ts")'],
  ];
  for (const [code, want] of cases) assert.equal(importHint(code), LEAD + want, code);
});

Deno.test("isStaticImportError() knows the syntax errors of import statements", () => {
  assert.ok(isStaticImportError(new SyntaxError("Cannot use import statement outside a module")));
  assert.ok(!isStaticImportError(new SyntaxError("Unexpected token")));
  assert.ok(!isStaticImportError(new TypeError("import statement")));
});

Deno.test("a local cell with a static import says to use a dynamic one", async () => {
  await using r = await startTestRepl({ engines: 1 });
  assert.equal(
    await r.run('import { join } from "node:path"'),
    "Uncaught SyntaxError: Cannot use import statement outside a module" + LEAD +
      'const { join } = await import("node:path")\n',
  );
  assert.equal(await r.run('const { join } = await import("node:path")'), "");
  assert.equal(await r.run('join("a", "b")'), 'Out[3]: "a/b"\n');
});
