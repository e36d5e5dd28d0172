import assert from "node:assert/strict";
import { Interrupts } from "./interrupts.ts";

Deno.test("Interrupts.fire() reports whether anyone was waiting", () => {
  assert.equal(new Interrupts().fire(), false);
});

Deno.test("Interrupts.race() returns the value when it comes first", async () => {
  const i = new Interrupts();
  assert.deepEqual(await i.race(Promise.resolve(3)), { done: true, value: 3 });
  assert.equal(i.fire(), false);
});

Deno.test("Interrupts.race() gives up at the next interrupt", async () => {
  const i = new Interrupts();
  const never = new Promise<number>(() => {});
  const raced = i.race(never);
  assert.equal(i.fire(), true);
  assert.deepEqual(await raced, { done: false });
  assert.equal(i.fire(), false);
});

Deno.test("Interrupts.race() passes rejections through", async () => {
  const i = new Interrupts();
  await assert.rejects(i.race(Promise.reject(new Error("x"))), /x/);
});
