import assert from "node:assert/strict";
import { smallestFit } from "./buffer_fit.ts";

Deno.test("smallestFit() picks the smallest buffer that holds the size, none over twice it", () => {
  const buffers = [
    new ArrayBuffer(50),
    new ArrayBuffer(30),
    new ArrayBuffer(10),
    new ArrayBuffer(25),
  ];
  assert.equal(smallestFit(buffers, 20), 3, "25 fits, is smaller than 30, and under 40");
  assert.equal(smallestFit(buffers, 26), 1);
  assert.equal(smallestFit(buffers, 10), 2);
  assert.equal(smallestFit(buffers, 4), -1, "10 is over twice 4");
  assert.equal(smallestFit(buffers, 51), -1, "none holds it");
  assert.equal(smallestFit([], 1), -1);
});
