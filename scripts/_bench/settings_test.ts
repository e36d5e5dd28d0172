import assert from "node:assert/strict";
import { parseSettings } from "./settings.ts";

Deno.test("bench settings: full-run defaults, and --quick shrinks every workload", () => {
  const full = parseSettings([]);
  assert.equal(full.quick, false);
  assert.equal(full.reps, 5);
  assert.equal(full.slowReps, 3);
  assert.equal(full.big, 64);
  assert.equal(full.lbTasks, 5000);
  assert.equal(full.numbers, 1_000_000);
  assert.equal(full.mb, 16);
  assert.equal(full.ipp, true);
  assert.equal(full.json, undefined);
  assert.equal(full.only, undefined);
  const quick = parseSettings(["--quick"]);
  assert.equal(quick.reps, 2);
  assert.equal(quick.slowReps, 1);
  assert.ok(quick.lbTasks < full.lbTasks && quick.numbers < full.numbers && quick.big < full.big);
});

Deno.test("bench settings: --json alone, with a path, with =path; values with = or apart", () => {
  assert.equal(parseSettings(["--json"]).json, true);
  assert.equal(parseSettings(["--json", "--quick"]).json, true);
  assert.equal(parseSettings(["--json", "out.json"]).json, "out.json");
  assert.equal(parseSettings(["--json=x.json"]).json, "x.json");
  const s = parseSettings(["--reps=3", "--big", "8", "--only", "w1, w4", "--no-ipp", "--keep"]);
  assert.equal(s.reps, 3);
  assert.equal(s.slowReps, 3);
  assert.equal(s.big, 8);
  assert.deepEqual([...s.only!], ["w1", "w4"]);
  assert.equal(s.ipp, false);
  assert.equal(s.keep, true);
  assert.equal(parseSettings(["--reps", "1"]).slowReps, 1);
  assert.equal(parseSettings(["-h"]).help, true);
});

Deno.test("bench settings: unknown flags and bad counts are refused with the usage", () => {
  assert.throws(() => parseSettings(["--fast"]), /unknown argument --fast\nusage: deno task bench/);
  assert.throws(() => parseSettings(["--repsx=2"]), /unknown argument --repsx=2/);
  assert.throws(() => parseSettings(["--reps"]), /--reps needs a value/);
  assert.throws(() => parseSettings(["--reps", "two"]), /--reps needs a whole number .* not 'two'/);
  assert.throws(() => parseSettings(["--big=0"]), /--big needs a whole number of at least 1/);
});
