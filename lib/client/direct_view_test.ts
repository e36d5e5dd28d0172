import assert from "node:assert/strict";
import { functionSource } from "./direct_view.ts";

Deno.test("functionSource() keeps arrow functions, including async ones, as they are", () => {
  const arrows = [
    async () => await Promise.resolve(1),
    async (x: number) => await x,
    (x: number) => x + 1,
    async function named() {},
  ];
  for (const f of arrows) assert.equal(functionSource(f), `(${f.toString()})`);
});

Deno.test("functionSource() turns method shorthand into a function expression", () => {
  const o = {
    m(x: number) {
      return x;
    },
    async am() {},
  };
  assert.match(functionSource(o.m), /^\(function m ?\(x\)/);
  assert.match(functionSource(o.am), /^\(async function am ?\(\)/);
  assert.throws(() => functionSource(Math.max), TypeError);
  assert.throws(() => functionSource(class A {} as unknown as () => void), TypeError);
});
