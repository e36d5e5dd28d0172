import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { compileArgs, findWorkerModules, IPX_RUN_FLAGS, isDenortFailure } from "./compile.ts";

async function withFixture(
  files: Record<string, string>,
  fn: (root: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "ipx_compile_test_" });
  try {
    for (const [path, text] of Object.entries(files)) {
      await Deno.mkdir(dirname(join(root, path)), { recursive: true });
      await Deno.writeTextFile(join(root, path), text);
    }
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const FILES = {
  "lib/engine/executor.ts":
    'new Worker(new URL("./sandbox/runner.ts", import.meta.url), { type: "module" });\n',
  "lib/engine/sandbox/runner.ts": "export {};\n",
  "lib/engine/worker.ts": "export {};\n",
  "lib/engine/worker_test.ts": "export {};\n",
  "lib/engine/engine.ts": 'import "./executor.ts";\n',
  "lib/controller/writer.ts": 'new Worker(new URL("./writer_thread.ts", import.meta.url));\n',
  "lib/controller/writer_thread.ts": "export {};\n",
};

Deno.test("findWorkerModules() finds worker files and new Worker() targets", async () => {
  await withFixture(FILES, async (root) => {
    assert.deepEqual(await findWorkerModules(root), [
      "lib/controller/writer_thread.ts",
      "lib/engine/sandbox/runner.ts",
      "lib/engine/worker.ts",
    ]);
  });
  await withFixture({}, async (root) => assert.deepEqual(await findWorkerModules(root), []));
});

Deno.test("compileArgs() bakes in ipx's permissions and includes the workers", async () => {
  await withFixture(FILES, async (root) => {
    const args = await compileArgs(root, { target: "x86_64-unknown-linux-gnu" });
    assert.deepEqual(args, [
      "compile",
      "--config",
      join(root, "deno.json"),
      ...IPX_RUN_FLAGS,
      "--include",
      join(root, "lib/controller/writer_thread.ts"),
      "--include",
      join(root, "lib/engine/sandbox/runner.ts"),
      "--include",
      join(root, "lib/engine/worker.ts"),
      "--target",
      "x86_64-unknown-linux-gnu",
      "--output",
      join(root, "dist/ipx"),
      join(root, "main.ts"),
    ]);
    assert.ok(!args.some((a) => a.includes("ffi") || a === "--allow-all" || a === "-A"));
  });
});

Deno.test("compileArgs() and ./ipx use the same permission flags", async () => {
  const script = await Deno.readTextFile(new URL("../ipx", import.meta.url));
  const flags = script.match(/--(allow|unstable|no)-[a-z-]+|--v8-flags=\S+/g) ?? [];
  assert.deepEqual([...new Set(flags)].sort(), [...IPX_RUN_FLAGS].sort());
});

Deno.test("isDenortFailure() recognises denort download and DENORT_BIN errors", () => {
  assert.ok(isDenortFailure("Download https://dl.deno.land/release/v2.9.6/denort-x.zip"));
  assert.ok(isDenortFailure("0: Could not find denort at '/nope'"));
  assert.ok(!isDenortFailure("error: Type checking failed."));
});
