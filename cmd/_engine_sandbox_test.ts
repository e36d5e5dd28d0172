import assert from "node:assert/strict";
import { join } from "node:path";
import { engineSandbox } from "./_engine_sandbox.ts";
import { UsageError } from "./_usage.ts";
import { inDir } from "../tests/_helpers/in_dir.ts";

Deno.test("engineSandbox() makes every --allow-read/--allow-write path absolute, and leaves hosts and names as given", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ipx-sandbox-cli-" }));
  try {
    const sandbox = await inDir(root, () =>
      engineSandbox({
        dataDir: "data",
        allowRead: "notes.txt,ref/,./a/../b",
        allowWrite: "out",
        allowNet: "localhost:8080,example.com",
        allowEnv: "HOME,LANG",
      }, { defaultDataDir: join(root, "unused") }));
    assert.deepEqual(sandbox, {
      dataDir: join(root, "data"),
      allowRead: [join(root, "notes.txt"), join(root, "ref"), join(root, "b")],
      allowWrite: [join(root, "out")],
      allowNet: ["localhost:8080", "example.com"],
      allowEnv: ["HOME", "LANG"],
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("engineSandbox() refuses a relative --allow-read/--allow-write path that contains the connection file's directory", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ipx-sandbox-cli-" }));
  try {
    const security = join(root, "profile_default", "security");
    await Deno.mkdir(security, { recursive: true });
    const keyFile = join(security, "ipx-engine.json");
    for (const [flag, key] of [["--allow-read", "allowRead"], ["--allow-write", "allowWrite"]]) {
      for (const given of ["profile_default", "profile_default/security"]) {
        await assert.rejects(
          inDir(root, () =>
            engineSandbox({ [key!]: given }, {
              defaultDataDir: join(root, "data"),
              keyFile,
            })),
          (error: unknown) => {
            assert.ok(error instanceof UsageError, `${flag} ${given}: ${error}`);
            assert.match(
              error.message,
              new RegExp(`through the ${flag} path ${join(root, given)}; use a data dir`),
            );
            return true;
          },
        );
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
