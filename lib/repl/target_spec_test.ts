import assert from "node:assert/strict";
import { TargetSpecError } from "./errors.ts";
import { formatTargetSpec, parseTargetSpec, resolveTargets, sliceIndices } from "./target_spec.ts";

const IDS = [0, 1, 2, 3, 4];

Deno.test("parseTargetSpec() reads all, ids, lists and slices", () => {
  assert.deepEqual(parseTargetSpec("all"), { kind: "all" });
  assert.deepEqual(parseTargetSpec(" 3 "), { kind: "list", items: [3] });
  assert.deepEqual(parseTargetSpec("0, 2,4"), { kind: "list", items: [0, 2, 4] });
  assert.deepEqual(parseTargetSpec("::2"), { kind: "slice", step: 2 });
  assert.deepEqual(parseTargetSpec("1:3"), { kind: "slice", start: 1, stop: 3 });
  assert.deepEqual(parseTargetSpec("-2:"), { kind: "slice", start: -2 });
});

Deno.test("parseTargetSpec() rejects junk with a hint", () => {
  for (const bad of ["a", "1,b", "1:2:3:4", "1.5", "x:2"]) {
    assert.throws(() => parseTargetSpec(bad), (e: unknown) => {
      assert.ok(e instanceof TargetSpecError, bad);
      assert.match((e as Error).message, /--targets/);
      return true;
    });
  }
  assert.throws(() => parseTargetSpec("::0"), /step must not be 0/);
});

Deno.test("sliceIndices() follows Python slice semantics", () => {
  // reference values computed with Python: list(range(5))[s]
  const cases: Array<[{ start?: number; stop?: number; step?: number }, number[]]> = [
    [{}, [0, 1, 2, 3, 4]],
    [{ step: 2 }, [0, 2, 4]],
    [{ start: 1, stop: 3 }, [1, 2]],
    [{ start: -1 }, [4]],
    [{ stop: -1 }, [0, 1, 2, 3]],
    [{ start: -2 }, [3, 4]],
    [{ step: -1 }, [4, 3, 2, 1, 0]],
    [{ start: 3, stop: 0, step: -1 }, [3, 2, 1]],
    [{ start: 10, step: -2 }, [4, 2, 0]],
    [{ start: -10, stop: 10 }, [0, 1, 2, 3, 4]],
    [{ start: 3, stop: 1 }, []],
  ];
  for (const [slice, want] of cases) {
    assert.deepEqual(sliceIndices(slice, 5), want, String([slice]));
  }
});

Deno.test("resolveTargets() indexes slices into the sorted ids", () => {
  const ids = [7, 3, 5, 1];
  assert.deepEqual(resolveTargets(parseTargetSpec("::2"), ids), [1, 5]);
  assert.deepEqual(resolveTargets(parseTargetSpec("1:3"), ids), [3, 5]);
  assert.deepEqual(resolveTargets(parseTargetSpec("all"), ids), [1, 3, 5, 7]);
});

Deno.test("resolveTargets() treats a negative integer as an index", () => {
  assert.deepEqual(resolveTargets(parseTargetSpec("-1"), IDS), [4]);
  assert.deepEqual(resolveTargets(parseTargetSpec("0,-1"), IDS), [0, 4]);
  assert.deepEqual(resolveTargets(parseTargetSpec("2"), IDS), [2]);
});

Deno.test("resolveTargets() rejects unknown ids and empty selections", () => {
  assert.throws(
    () => resolveTargets(parseTargetSpec("9"), IDS),
    /Cannot target engine 9: it is not registered \(engines: 0,1,2,3,4\)/,
  );
  assert.throws(() => resolveTargets(parseTargetSpec("-6"), IDS), /index -6/);
  assert.throws(() => resolveTargets(parseTargetSpec("3:1"), IDS), /No engine selected/);
  assert.throws(() => resolveTargets(parseTargetSpec("all"), []), /engines: none/);
});

Deno.test("formatTargetSpec() round-trips", () => {
  for (const text of ["all", "0,2", "::2", "1:3", "-1:", "1:5:2"]) {
    assert.equal(formatTargetSpec(parseTargetSpec(text)), text);
  }
});
