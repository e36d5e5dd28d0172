import assert from "node:assert/strict";
import { ProfileNameError, validateProfileName } from "./profile_name.ts";

Deno.test("validateProfileName() accepts ordinary names", () => {
  for (const name of ["default", "gpu-2", "a", "A.b_c-9", "x".repeat(64)]) {
    assert.equal(validateProfileName(name), name);
  }
});

Deno.test("validateProfileName() rejects unsafe names with the reason", () => {
  const cases: [string, RegExp][] = [
    ["", /it is empty/],
    ["x".repeat(65), /65 characters/],
    ["..", /does not start with a letter or digit/],
    [".hidden", /does not start/],
    ["-rf", /does not start/],
    ["a/b", /not allowed/],
    ["a b", /not allowed/],
    ["é", /does not start/],
  ];
  for (const [name, reason] of cases) {
    assert.throws(() => validateProfileName(name), (e: unknown) => {
      assert.ok(e instanceof ProfileNameError);
      assert.equal(e.name, "ProfileNameError");
      assert.equal(e.profileName, name);
      assert.match(e.message, reason);
      assert.match(e.message, /use 1 to 64 letters/);
      return true;
    });
  }
});
