import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { areaOf, checkDeps } from "./check_deps.ts";

const SCRIPT = fileURLToPath(new URL("./check_deps.ts", import.meta.url));

/** Builds a tiny repository from `files` in a temp dir, runs `fn`, removes it. */
async function withFixture(
  files: Record<string, string>,
  fn: (root: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "ipx_check_deps_test_" });
  try {
    await Deno.writeTextFile(
      join(root, "deno.json"),
      JSON.stringify({ imports: { commander: "npm:commander@15.1.0" } }),
    );
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(dirname(join(root, path)), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    }
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const GOOD: Record<string, string> = {
  "lib/protocol/frame.ts": 'import { Buffer } from "node:buffer";\nexport const f = Buffer;\n',
  "lib/protocol/mod.ts": 'export * from "./frame.ts";\n',
  "lib/profile/paths.ts": 'import { f } from "../protocol/mod.ts";\nexport const p = f;\n',
  "lib/controller/hub.ts": 'import "../protocol/frame.ts";\nimport "../profile/paths.ts";\n',
  "lib/controller/_private.ts": "export const secret = 1;\n",
  "lib/controller/uses_private.ts": 'import { secret } from "./_private.ts";\n',
  "lib/engine/engine.ts": 'new Worker(new URL("./worker.ts", import.meta.url));\n',
  "lib/engine/worker.ts": "export {};\n",
  "lib/client/client.ts": 'import "../protocol/mod.ts";\n',
  "lib/client/client_test.ts": 'import "../controller/hub.ts";\n', // tests may wire areas
  "lib/repl/repl.ts": 'import "../client/client.ts";\nimport "../profile/paths.ts";\n',
  "cmd/controller.ts": 'import { Command } from "commander";\nimport "../lib/controller/hub.ts";\n',
  "main.ts": 'import "./cmd/controller.ts";\nimport v from "./deno.json" with { type: "json" };\n',
  "mod.ts": 'export * from "./lib/client/client.ts";\n',
  "tests/anything.ts": 'import "../lib/engine/engine.ts";\nimport "jsr:@std/assert";\n',
};

Deno.test("checkDeps() accepts imports that follow the direction rules", async () => {
  await withFixture(GOOD, async (root) => {
    const result = await checkDeps(root);
    assert.deepEqual(result.violations, []);
    assert.equal(result.files, 14); // tests/ is not scanned
    assert.equal(result.imports, 16);
  });
});

Deno.test("checkDeps() reports each broken rule with file and line", async () => {
  const bad: Record<string, string> = {
    ...GOOD,
    "lib/protocol/frame.ts": '// header\nimport "../profile/paths.ts";\n',
    "lib/profile/paths.ts": 'export const p = 1;\nimport "../engine/engine.ts";\n',
    "lib/engine/engine.ts": 'import "../client/client.ts";\n',
    "lib/client/client.ts": 'const m = await import("../repl/repl.ts");\n',
    "lib/repl/repl.ts": 'import "../controller/_private.ts";\nimport "../controller/hub.ts";\n',
    "cmd/controller.ts": 'import "../main.ts";\nimport "../lib/controller/_private.ts";\n',
    "main.ts": 'import "./lib/client/client.ts";\n',
    "lib/util/x.ts": 'import "../protocol/mod.ts";\n',
    "lib/client/pkg.ts": 'import "npm:chalk@5";\nimport "left-pad";\nimport "commander/sub";\n',
    "lib/client/escape.ts": 'import "../../../outside.ts";\n',
  };
  await withFixture(bad, async (root) => {
    const got = (await checkDeps(root)).violations.map((v) => `${v.file}:${v.line} ${v.specifier}`);
    assert.deepEqual(got, [
      "cmd/controller.ts:1 ../main.ts",
      "cmd/controller.ts:2 ../lib/controller/_private.ts",
      "lib/client/client.ts:1 ../repl/repl.ts",
      "lib/client/escape.ts:1 ../../../outside.ts",
      "lib/client/pkg.ts:1 npm:chalk@5",
      "lib/client/pkg.ts:2 left-pad",
      "lib/engine/engine.ts:1 ../client/client.ts",
      "lib/profile/paths.ts:2 ../engine/engine.ts",
      "lib/protocol/frame.ts:2 ../profile/paths.ts",
      "lib/repl/repl.ts:1 ../controller/_private.ts",
      "lib/repl/repl.ts:2 ../controller/hub.ts",
      "lib/util/x.ts:1 ../protocol/mod.ts",
      "main.ts:1 ./lib/client/client.ts",
    ]);
    const messages = (await checkDeps(root)).violations.map((v) => v.message).join("\n");
    assert.match(messages, /lib\/protocol must not import lib\/profile .* may import only nothing/);
    assert.match(messages, /private to lib\/controller/);
    assert.match(messages, /lib\/util is not a known area/);
    assert.match(messages, /not in deno\.json "imports"/);
  });
});

Deno.test("check_deps.ts exits 1 and prints file:line for violations, 0 when clean", async () => {
  const run = async (root: string) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--allow-read", SCRIPT, root],
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    return { code: out.code, text };
  };
  await withFixture(GOOD, async (root) => {
    const clean = await run(root);
    assert.equal(clean.code, 0, clean.text);
    assert.match(clean.text, /check_deps: 14 files, 16 imports, no violations/);
  });
  await withFixture(
    { ...GOOD, "lib/protocol/bad.ts": '\n\nimport "../client/client.ts";\n' },
    async (root) => {
      const dirty = await run(root);
      assert.equal(dirty.code, 1);
      assert.match(
        dirty.text,
        /^lib\/protocol\/bad\.ts:3: lib\/protocol must not import lib\/client/m,
      );
      assert.match(dirty.text, /1 violation\(s\)/);
    },
  );
});

Deno.test("areaOf() names lib areas and top-level entries", () => {
  assert.equal(areaOf("lib/engine/sub/x.ts"), "lib/engine");
  assert.equal(areaOf("cmd/profile.ts"), "cmd");
  assert.equal(areaOf("main.ts"), "main.ts");
});
