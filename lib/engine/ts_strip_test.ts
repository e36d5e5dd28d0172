import assert from "node:assert/strict";
import { stripFunction, stripTypes, TypeScriptSyntaxError } from "./ts_strip.ts";

Deno.test("stripTypes() removes annotations, interfaces, casts and generics", () => {
  const js = stripTypes(
    "interface P { x: number }\nconst p = { x: 2 } as P;\n" +
      "function id<T>(v: T): T { return v }\nlet n: number = id<number>(p.x);\nn * 21",
  );
  assert.doesNotMatch(js, /interface|: number|as P|<T>/);
  assert.equal((0, eval)(js), 42);
});

Deno.test("stripTypes() keeps the last expression on its line and keeps top-level await", () => {
  const js = stripTypes("let x: number = 1;\nawait Promise.resolve(x as number)\nx + 1");
  assert.deepEqual(js.split("\n").length, 3);
  assert.match(js, /await Promise\.resolve\(x\s*\)/);
  assert.match(js.split("\n")[2] ?? "", /^x \+ 1$/);
});

Deno.test("stripTypes() lowers enums to JavaScript", () => {
  assert.equal((0, eval)(stripTypes("enum Color { Red, Green }\nColor.Green")), 1);
});

Deno.test("stripTypes() throws a SyntaxError-named error with the position", () => {
  assert.throws(() => stripTypes("let x = 1 +"), (error: unknown) => {
    assert.ok(error instanceof TypeScriptSyntaxError);
    assert.equal(error.name, "SyntaxError");
    assert.match(error.message, /\(1:\d+\)/);
    return true;
  });
});

Deno.test("stripFunction() turns arrows, declarations and methods into an expression", async () => {
  assert.equal((0, eval)(stripFunction("(x: number): number => x + 1"))(1), 2);
  assert.equal((0, eval)(stripFunction("function twice(x) { return 2 * x }"))(4), 8);
  const method = {
    triple(x: number) {
      return 3 * x;
    },
  }.triple.toString();
  assert.equal((0, eval)(stripFunction(method))(5), 15);
  const asyncMethod = {
    async half(x: number) {
      await null;
      return x / 2;
    },
  }.half.toString();
  assert.equal(await (0, eval)(stripFunction(asyncMethod))(8), 4);
  assert.throws(() => stripFunction("not a function {"), TypeScriptSyntaxError);
});

Deno.test("ts_strip re-exports the loop checks of lib/evaluate (the engine's Worker defines the check)", async () => {
  const shared = await import("../evaluate/interrupt_checks.ts");
  const here = await import("./ts_strip.ts");
  assert.equal(here.addInterruptChecks, shared.addInterruptChecks);
  assert.equal(here.INTERRUPT_CHECK, "$ipx$tick");
});
