import assert from "node:assert/strict";
import { addInterruptChecks, INTERRUPT_CHECK } from "./interrupt_checks.ts";

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
