import assert from "node:assert/strict";
import {
  addInterruptChecks,
  INTERRUPT_CHECK,
  stripFunction,
  stripTypes,
  TypeScriptSyntaxError,
} from "./ts_strip.ts";

/** Evaluates instrumented code as a script, counting the interrupt checks it makes. */
function runCounting(js: string): { value: unknown; checks: number } {
  let checks = 0;
  const scope = globalThis as Record<string, unknown>;
  scope[INTERRUPT_CHECK] = () => {
    checks++;
    return true;
  };
  try {
    const value = (0, eval)(js);
    return { value, checks };
  } finally {
    delete scope[INTERRUPT_CHECK];
  }
}

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

Deno.test("addInterruptChecks() checks every iteration of while, do-while and for loops", () => {
  const js = addInterruptChecks(
    "let i = 0; while (i < 3) i++;\nlet j = 0; do { j++ } while (j < 4);\n" +
      "let s = 0; for (let k = 0; k < 5; k++) s += k;\n[i, j, s]",
  );
  const { value, checks } = runCounting(js);
  assert.deepEqual(value, [3, 4, 10]);
  assert.equal(checks, 4 + 4 + 6); // one check per evaluation of each condition
  assert.equal(js.split("\n").length, 4, "no lines are added");
});

Deno.test("addInterruptChecks() handles empty conditions and for-of block bodies", () => {
  const js = addInterruptChecks(
    "let n = 0; for (;;) { if (++n === 3) break }\n" +
      "let t = 0; for (const v of [1, 2, 3]) { t += v }\n[n, t]",
  );
  const { value, checks } = runCounting(js);
  assert.deepEqual(value, [3, 6]);
  assert.equal(checks, 3 + 3);
});

Deno.test("addInterruptChecks() leaves strings, templates and regexes alone", () => {
  const source = 'const a = "while (true) {}"; const b = `for (;;) ${1}`; /while\\(x\\)/.source';
  assert.equal(addInterruptChecks(source), source);
});

Deno.test("addInterruptChecks() instruments loops nested in a for header", () => {
  const js = addInterruptChecks(
    "let r = 0; for (let i = [1, 2].map((v) => { let k = 0; while (k < v) k++; return k })" +
      ".length; i > 0; i--) r += i; r",
  );
  const { value, checks } = runCounting(js);
  assert.equal(value, 3);
  assert.equal(checks, (2 + 3) + 3);
});
