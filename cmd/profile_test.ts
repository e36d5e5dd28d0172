import assert from "node:assert/strict";
import { join } from "node:path";
import { configureErrors, UsageError } from "./_usage.ts";
import { profileCommand } from "./profile.ts";

/** Runs `fn` with IPX_DIR pointing at a fresh temp dir, restoring the environment after. */
async function withIpxDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ipx_cmd_profile_test_" });
  const saved = Deno.env.get("IPX_DIR");
  Deno.env.set("IPX_DIR", dir);
  try {
    await fn(dir);
  } finally {
    if (saved === undefined) Deno.env.delete("IPX_DIR");
    else Deno.env.set("IPX_DIR", saved);
    await Deno.remove(dir, { recursive: true });
  }
}

function run(...args: string[]): Promise<unknown> {
  return configureErrors(profileCommand()).parseAsync(args, { from: "user" });
}

Deno.test("profileCommand() has create, list and locate", () => {
  const names = profileCommand().commands.map((c) => c.name());
  assert.deepEqual(names, ["create", "list", "locate"]);
});

Deno.test("profile create makes the profile under IPX_DIR", async () => {
  await withIpxDir(async (dir) => {
    await run("create", "foo");
    assert.ok((await Deno.stat(join(dir, "profile_foo", "security"))).isDirectory);
  });
});

Deno.test("profile create and locate turn a bad name into a UsageError", async () => {
  await withIpxDir(async (dir) => {
    for (const sub of ["create", "locate"]) {
      await assert.rejects(run(sub, "a/b"), (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.equal(e.exitCode, 2);
        assert.match(e.message, /Invalid profile name "a\/b"/);
        return true;
      });
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});
