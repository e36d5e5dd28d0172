import assert from "node:assert/strict";
import { isIncomplete, stripTypes, TypeScriptSyntaxError, wrapObjectLiteral } from "./ts_source.ts";

Deno.test("stripTypes() removes types and keeps lines and top-level await", () => {
  assert.equal(stripTypes("let x: number = 1;\nawait f(x as number)"), "let x = 1;\nawait f(x )");
  assert.equal(stripTypes("interface A { a: 1 }\nx"), "\nx");
});

Deno.test("stripTypes() throws a SyntaxError with the position", () => {
  assert.throws(() => stripTypes("1 +* 2"), (e: unknown) => {
    assert.ok(e instanceof TypeScriptSyntaxError);
    assert.equal(e.name, "SyntaxError");
    assert.equal(e.pos, 3);
    assert.match(e.message, /Unexpected token \(1:4\)/);
    return true;
  });
});

Deno.test("isIncomplete() asks for more when the cell stops mid-statement", () => {
  const open = [
    "function f() {",
    "foo(1,",
    "if (x)",
    "let x =",
    "a +",
    "[1, 2",
    "x.",
    "class A {",
    "/* comment",
    "`abc",
    "`a${",
    "const f = (x: number) => {\n  return x",
    "for (;;",
    "function f() {\n\n",
  ];
  for (const code of open) assert.equal(isIncomplete(code), true, JSON.stringify(code));
});

Deno.test("isIncomplete() accepts complete cells and real syntax errors", () => {
  const done = [
    "",
    "   ",
    "let x = 1",
    "function f() {}\nf()",
    "await x",
    "// comment",
    "1 +* 2",
    "}",
    '"unterminated',
    "let x: number = 1",
    "function f() {\n  return 1\n}\n",
  ];
  for (const code of done) assert.equal(isIncomplete(code), false, JSON.stringify(code));
});

Deno.test("wrapObjectLiteral() reads { … } as an object when it parses as one", () => {
  assert.equal(wrapObjectLiteral("{ a: 1 }"), "({ a: 1 })");
  assert.equal(
    wrapObjectLiteral("  { a: 1, b: [2] as number[] }  "),
    "(  { a: 1, b: [2] as number[] }  )",
  );
  for (const code of ["{ let b = 2; b }", "{ a: 1 }; 2", "x = { a: 1 }", "{}\n{ f() }", "1"]) {
    assert.equal(wrapObjectLiteral(code), code);
  }
});
