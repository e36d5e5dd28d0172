import assert from "node:assert/strict";
import { parseMagicOptions } from "./magic_args.ts";
import { findMagic } from "./magic_table.ts";
import { applyPxOptions, DEFAULT_PX_CONFIG, describePxConfig, outputName } from "./px_config.ts";

const CELL = findMagic("%%px")!;

Deno.test("applyPxOptions() overrides only what is given", () => {
  const next = applyPxOptions(
    DEFAULT_PX_CONFIG,
    parseMagicOptions(CELL, "-t ::2 --noblock --group-outputs type"),
  );
  assert.deepEqual(next, {
    targets: { kind: "slice", step: 2 },
    block: false,
    stream: true,
    groupOutputs: "type",
  });
  assert.deepEqual(DEFAULT_PX_CONFIG.targets, { kind: "all" });
  assert.equal(DEFAULT_PX_CONFIG.block, true);
  const back = applyPxOptions(next, parseMagicOptions(CELL, "--block --no-stream"));
  assert.equal(back.block, true);
  assert.equal(back.stream, false);
  assert.equal(back.groupOutputs, "type");
});

Deno.test("applyPxOptions() rejects a bad target spec", () => {
  assert.throws(
    () => applyPxOptions(DEFAULT_PX_CONFIG, parseMagicOptions(CELL, "-t x")),
    /Cannot parse --targets "x"/,
  );
});

Deno.test("outputName() accepts identifiers only", () => {
  assert.equal(outputName(parseMagicOptions(CELL, "-o res")), "res");
  assert.equal(outputName(parseMagicOptions(CELL, "")), undefined);
  assert.throws(() => outputName(parseMagicOptions(CELL, "-o 1x")), /not a variable name/);
});

Deno.test("describePxConfig() shows the spec and what it selects", () => {
  assert.equal(
    describePxConfig(DEFAULT_PX_CONFIG),
    "%pxconfig: --targets all --block --stream --group-outputs engine",
  );
  const cfg = applyPxOptions(DEFAULT_PX_CONFIG, parseMagicOptions(CELL, "-t ::2 -a --no-stream"));
  assert.equal(
    describePxConfig(cfg, [0, 2]),
    "%pxconfig: --targets ::2 (engines 0,2) --noblock --no-stream --group-outputs engine",
  );
  const one = applyPxOptions(DEFAULT_PX_CONFIG, parseMagicOptions(CELL, "-t 1"));
  assert.equal(
    describePxConfig(one, [1]),
    "%pxconfig: --targets 1 --block --stream " +
      "--group-outputs engine",
  );
});
