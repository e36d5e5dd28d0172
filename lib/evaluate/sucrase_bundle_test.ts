// The bundled sucrase (vendor/sucrase.js, built by scripts/vendor.ts) must behave as that package
// does (its version: scripts/vendor_test.ts).
import assert from "node:assert/strict";
import { transform as npmTransform } from "sucrase";
// @ts-types="sucrase/dist/types/parser/index.d.ts"
import { parse as npmParse } from "sucrase/dist/parser/index.js";
import { parse, TokenType, transform } from "./vendor/sucrase.js";

const CELLS = [
  "let x: number = 1;\ninterface P { a: string }\nawait f(x as number)\nx",
  "enum Color { Red, Green = 'g', Blue = 4 }\nColor.Blue",
  "function id<T extends object>(v: T): T { return v }\nid<{ a: 1 }>({ a: 1 } satisfies object)",
  "class A<T> { private x?: T; constructor(public readonly y: number, protected z = 2) {}\n" +
  "  abstract?: string; static #n = 1; get n(): number { return A.#n } }",
  "type U = string | number;\nlet u: U = 'a'; declare const g: unknown;\nu!;",
  "for (const [k, v] of Object.entries({ a: 1 }) as [string, number][]) { if (v > 0) continue }",
  "const re = /a<b>c/g, s = `t ${x as any} </s>`; a?.b ?? c; x ||= 1;",
  "namespace N { export const k = 1 }\nimport type { T } from './t.ts';\nexport {}",
  "label: { break label }\n({ a: 1 })\nlet f = async <T,>(v: T) => await v;",
];

Deno.test("the bundled transform strips types exactly as the package does", () => {
  const options = {
    transforms: ["typescript" as const],
    disableESTransforms: true,
    keepUnusedImports: true,
  };
  for (const cell of CELLS) {
    assert.equal(transform(cell, options).code, npmTransform(cell, options).code, cell);
  }
  const bad = "let = ;";
  assert.throws(() => transform(bad, options), (e: unknown) => {
    let npmError: unknown;
    try {
      npmTransform(bad, options);
    } catch (error) {
      npmError = error;
    }
    assert.equal((e as Error).message, (npmError as Error).message);
    assert.equal((e as { pos?: number }).pos, (npmError as { pos?: number }).pos);
    return true;
  });
});

Deno.test("the bundled parser gives the package's tokens", () => {
  for (const cell of CELLS) {
    const js = npmTransform(cell, { transforms: ["typescript"], disableESTransforms: true }).code;
    const ours = parse(js, false, false, false).tokens.map((t) => [t.type, t.start, t.end]);
    const theirs = npmParse(js, false, false, false).tokens.map((t) => [t.type, t.start, t.end]);
    assert.deepEqual(ours, theirs, js);
  }
  const tokens = parse("while (x) y()", false, false, false).tokens;
  assert.equal(tokens[0]!.type, TokenType._while);
});
