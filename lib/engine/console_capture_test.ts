import assert from "node:assert/strict";
import { createCaptureConsole, formatArgs, type StreamName } from "./console_capture.ts";

function capture(): { console: Console; chunks: Array<[StreamName, string]> } {
  const chunks: Array<[StreamName, string]> = [];
  return { console: createCaptureConsole((name, text) => chunks.push([name, text])), chunks };
}

Deno.test("formatArgs() writes strings raw and inspects everything else like Deno", () => {
  const values = [{ a: "b" }, [1, "s"], new Map([["k", 1]]), 10n, undefined, null];
  assert.equal(
    formatArgs(["text", ...values]),
    ["text", ...values.map((v) => Deno.inspect(v))].join(" "),
  );
  assert.equal(formatArgs([{ a: "b" }]), '{ a: "b" }');
  assert.equal(formatArgs([]), "");
});

Deno.test("formatArgs() understands %s %d %i %f %o %O %c and %%", () => {
  assert.equal(formatArgs(["%s|%d|%i|%f", "str", "42.5", 7.9, "3.5x"]), "str|42|7|3.5");
  assert.equal(formatArgs(["%o and %O", { a: [1] }, { b: 2 }]), "{ a: [ 1 ] } and { b: 2 }");
  assert.equal(formatArgs(["%cred%% done", "color: red"]), "red% done");
  assert.equal(formatArgs(["%d", 5n]), "5");
  assert.equal(formatArgs(["%s %s", "only-one"]), "only-one %s");
  assert.equal(formatArgs(["n=%d", 5, { a: "b" }]), 'n=5 { a: "b" }');
});

Deno.test("createCaptureConsole() sends log, info and debug to stdout, warn and error to stderr", () => {
  const { console: c, chunks } = capture();
  c.log("one", 1);
  c.info("two");
  c.debug("three");
  c.warn("four");
  c.error(new Map([[1, 2]]));
  assert.deepEqual(chunks, [
    ["stdout", "one 1\n"],
    ["stdout", "two\n"],
    ["stdout", "three\n"],
    ["stderr", "four\n"],
    ["stderr", `${Deno.inspect(new Map([[1, 2]]))}\n`],
  ]);
});

Deno.test("createCaptureConsole() indents groups, counts, asserts and reports timers", () => {
  const { console: c, chunks } = capture();
  c.group("outer");
  c.log("a\nb");
  c.groupEnd();
  c.log("after");
  c.count();
  c.count();
  c.countReset();
  c.count("x");
  c.assert(true, "never");
  c.assert(false, "value %d", 3);
  c.timeEnd("missing");
  assert.deepEqual(chunks, [
    ["stdout", "outer\n"],
    ["stdout", "  a\n  b\n"],
    ["stdout", "after\n"],
    ["stdout", "default: 1\n"],
    ["stdout", "default: 2\n"],
    ["stdout", "x: 1\n"],
    ["stderr", "Assertion failed: value 3\n"],
    ["stderr", "Timer 'missing' does not exist\n"],
  ]);
});

Deno.test("createCaptureConsole() renders tables and traces", () => {
  const { console: c, chunks } = capture();
  c.table([{ a: 1, b: "x" }, { a: 2 }]);
  c.trace("here %s", "now");
  const [table, trace] = chunks;
  assert.equal(table?.[0], "stdout");
  const lines = (table?.[1] ?? "").trimEnd().split("\n");
  assert.equal(lines.length, 6);
  assert.match(lines[1] ?? "", /│ \(idx\) │ a │ b\s+│/);
  assert.match(lines[3] ?? "", /│ 0\s+│ 1 │ "x" │/);
  assert.match(lines[4] ?? "", /│ 1\s+│ 2 │\s+│/);
  assert.equal(trace?.[0], "stderr");
  assert.match(trace?.[1] ?? "", /^Trace: here now\n\s+at /);
});
