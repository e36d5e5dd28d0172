import assert from "node:assert/strict";
import { IpxError } from "../../protocol/errors.ts";
import { DuplicateEngineError, UnknownSchemeError } from "./_errors.ts";

Deno.test("DuplicateEngineError names the engine", () => {
  const error = new DuplicateEngineError(3);
  assert.ok(error instanceof IpxError);
  assert.equal(error.name, "DuplicateEngineError");
  assert.equal(error.engineId, 3);
  assert.match(error.message, /engine 3 is already registered/);
});

Deno.test("UnknownSchemeError lists the known schemes", () => {
  const error = new UnknownSchemeError("pure", ["leastload", "lru"]);
  assert.equal(error.name, "UnknownSchemeError");
  assert.equal(error.scheme, "pure");
  assert.equal(
    error.message,
    'Cannot select scheduler scheme: current value is "pure", expected one of leastload, lru',
  );
});
