import assert from "node:assert/strict";
import { scanBrackets } from "./open_brackets.ts";

Deno.test("scanBrackets() lists the closers still needed, innermost first", () => {
  const cases: Array<[string, string]> = [
    ["f(() => {", "})"],
    ["[1, {a: (", ")}]"],
    ["x = 1", ""],
    ["`a ${b", "}`"],
    ["`a ${ {x: 1", "}}`"],
    ["`text", "`"],
    ["`a ${b} c`", ""],
  ];
  for (const [code, closers] of cases) {
    assert.deepEqual(scanBrackets(code), { closers, mismatched: false }, code);
  }
});

Deno.test("scanBrackets() skips strings, comments and regular expressions", () => {
  const cases = [
    `"(" + '[' + "{"`,
    "// ( [ {\nx",
    "/* ( */ y",
    "x = /[(]/.test(s)",
    "f(/\\)/)",
    "a = b / c / d",
    `"esc \\" ("`,
  ];
  for (const code of cases) {
    assert.deepEqual(scanBrackets(code), { closers: "", mismatched: false }, code);
  }
});

Deno.test("scanBrackets() flags closers without an opener", () => {
  assert.equal(scanBrackets("}").mismatched, true);
  assert.equal(scanBrackets("(]").mismatched, true);
  assert.equal(scanBrackets("(1))").mismatched, true);
});
