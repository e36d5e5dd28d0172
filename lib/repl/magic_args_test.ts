import assert from "node:assert/strict";
import { MagicUsageError } from "./errors.ts";
import { parseMagicOptions, parseOptionsAndCode, splitMagic, tokenize } from "./magic_args.ts";
import { findMagic } from "./magic_table.ts";

const CELL = findMagic("%%px")!;

Deno.test("splitMagic() separates the name from the rest", () => {
  assert.deepEqual(splitMagic("%px 1 + 1"), { name: "%px", rest: "1 + 1" });
  assert.deepEqual(splitMagic("  %%px --noblock  "), { name: "%%px", rest: "--noblock" });
  assert.deepEqual(splitMagic("%autopx"), { name: "%autopx", rest: "" });
  assert.deepEqual(splitMagic("%px\tconsole.log(1)\n"), { name: "%px", rest: "console.log(1)" });
  assert.equal(splitMagic("1 % 2"), undefined);
  assert.equal(splitMagic("%"), undefined);
  assert.equal(splitMagic("%1"), undefined);
});

Deno.test("tokenize() groups quoted words", () => {
  assert.deepEqual(tokenize(`-o "my name" --x='a b' c`), ["-o", "my name", "--x=a b", "c"]);
  assert.deepEqual(tokenize(`""`), [""]);
  assert.deepEqual(tokenize("   "), []);
  assert.throws(() => tokenize(`"open`), MagicUsageError);
});

Deno.test("parseMagicOptions() reads long, short and = forms", () => {
  const o = parseMagicOptions(CELL, "-t ::2 --group-outputs=type --no-stream -o res");
  assert.deepEqual(
    [...o],
    [["--targets", "::2"], ["--group-outputs", "type"], ["--no-stream", true], ["--out", "res"]],
  );
});

Deno.test("parseMagicOptions() lets the last option of a group win", () => {
  const o = parseMagicOptions(CELL, "--block --noblock --stream -b");
  assert.deepEqual([...o], [["--stream", true], ["--block", true]]);
});

Deno.test("parseMagicOptions() rejects what the table does not allow", () => {
  const cases: Array<[string, RegExp]> = [
    ["--bogus", /Unknown option --bogus for %%px: its options are --targets/],
    ["code", /Unknown argument "code" for %%px/],
    ["--targets", /needs a value: --targets SPEC/],
    [
      "--group-outputs zz",
      /Invalid value "zz" for --group-outputs: use one of engine, order, type/,
    ],
    ["--block=1", /takes no value/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseMagicOptions(CELL, text), (e: unknown) => {
      assert.ok(e instanceof MagicUsageError, text);
      assert.match((e as Error).message, re);
      return true;
    });
  }
  assert.throws(() => parseMagicOptions(findMagic("%engines")!, "x"), /it takes no arguments/);
});

Deno.test("parseOptionsAndCode() reads options up to the code, which stays as typed", () => {
  const PX = findMagic("%px")!;
  const read = (text: string) => {
    const { options, code } = parseOptionsAndCode(PX, text);
    return [[...options], code];
  };
  assert.deepEqual(read("1 + 1"), [[], "1 + 1"]);
  assert.deepEqual(read("--targets 0 console.log('a  b')"), [
    [["--targets", "0"]],
    "console.log('a  b')",
  ]);
  assert.deepEqual(read(`-t "0,2" --noblock -o r  "x"`), [
    [["--targets", "0,2"], ["--noblock", true], ["--out", "r"]],
    `"x"`,
  ]);
  assert.deepEqual(read("--group-outputs=type --no-stream f()"), [
    [["--group-outputs", "type"], ["--no-stream", true]],
    "f()",
  ]);
  assert.deepEqual(read("--block -- -x --targets"), [[["--block", true]], "-x --targets"]);
  assert.deepEqual(read("-1 + x"), [[], "-1 + x"]);
  assert.deepEqual(read("-- --x"), [[], "--x"]);
  assert.deepEqual(read("--"), [[], ""]);
  assert.deepEqual(read("'unclosed"), [[], "'unclosed"]);
  assert.deepEqual(read("--noblock"), [[["--noblock", true]], ""]);
  assert.throws(() => read("--bogus 1"), /Unknown option --bogus for %px: [^]*%px -- -x/);
  assert.throws(() => read("-x + 1"), /Unknown option -x for %px/);
  assert.throws(() => read("--targets"), /needs a value: --targets SPEC/);
});
