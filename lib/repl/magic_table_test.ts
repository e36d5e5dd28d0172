import assert from "node:assert/strict";
import { findMagic, formatHelp, MAGICS, magicUsage } from "./magic_table.ts";

Deno.test("magicUsage() builds the usage from the options", () => {
  assert.equal(
    magicUsage(findMagic("%px")!),
    "%px [--targets SPEC] [--block|--noblock] [--group-outputs engine|order|type] " +
      "[--stream|--no-stream] [-o NAME] CODE",
  );
  assert.equal(
    magicUsage(findMagic("%%px")!),
    "%%px [--targets SPEC] [--block|--noblock] [--group-outputs engine|order|type] " +
      "[--stream|--no-stream] [-o NAME]",
  );
  assert.equal(magicUsage(findMagic("%autopx")!), "%autopx");
});

Deno.test("findMagic() finds only table entries", () => {
  assert.equal(findMagic("%engines")?.args, "none");
  assert.equal(findMagic("%nope"), undefined);
  assert.equal(findMagic("px"), undefined);
});

Deno.test("formatHelp() lists every magic with its usage and every option", () => {
  const help = formatHelp();
  for (const m of MAGICS) {
    assert.ok(help.includes(`  ${magicUsage(m)}\n      ${m.summary}\n`), m.name);
    for (const o of m.options) assert.ok(help.includes(o.help), `${m.name} ${o.long}`);
  }
  assert.match(help, /rc \(the Client\)/);
});

Deno.test("formatHelp() follows the table it is given", () => {
  const help = formatHelp([{ name: "%only", args: "none", options: [], summary: "just me" }]);
  assert.match(help, /%only\n {6}just me/);
  assert.doesNotMatch(help, /%px/);
});
