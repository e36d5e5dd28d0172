import assert from "node:assert/strict";
import { stripTypes, TypeScriptSyntaxError } from "./typescript.ts";

Deno.test("stripTypes() removes types only, keeping lines, await and the last expression", () => {
  const out = stripTypes("let x: number = 1;\ninterface P { a: string }\nawait f(x as number)\nx");
  assert.equal(out.split("\n").length, 4);
  assert.match(out, /^let x = 1;\n/);
  assert.match(out, /\nawait f\(x \)\nx$/);
});

Deno.test("stripTypes() throws a SyntaxError with the parser's position", () => {
  assert.throws(() => stripTypes("let = ;"), (e: unknown) => {
    assert.ok(e instanceof TypeScriptSyntaxError);
    assert.equal(e.name, "SyntaxError");
    assert.equal(typeof e.pos, "number");
    assert.match(e.message, /\(1:\d+\)/);
    return true;
  });
});
