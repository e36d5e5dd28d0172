import assert from "node:assert/strict";
import { createPalette, wantColors } from "./palette.ts";

Deno.test("createPalette(false) leaves text and values plain", () => {
  const p = createPalette(false);
  assert.equal(p.prompt("In [1]: "), "In [1]: ");
  assert.equal(p.error("x"), "x");
  assert.equal(p.inspect({ a: [1, "s"] }), '{ a: [ 1, "s" ] }');
});

Deno.test("createPalette(true) colours labels and values", () => {
  const p = createPalette(true);
  assert.equal(p.outLabel("Out[1]:"), "\x1b[31mOut[1]:\x1b[39m");
  assert.equal(p.dim("x"), "\x1b[2mx\x1b[22m");
  assert.equal(p.inspect(42), "\x1b[33m42\x1b[39m");
});

Deno.test("wantColors() needs a terminal and no NO_COLOR", () => {
  assert.equal(wantColors(true, undefined), true);
  assert.equal(wantColors(true, ""), true);
  assert.equal(wantColors(true, "1"), false);
  assert.equal(wantColors(false, undefined), false);
});
