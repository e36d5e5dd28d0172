import assert from "node:assert/strict";
import { join } from "node:path";
import { assertSecureDir, InsecureDirError } from "./secure_dir.ts";
import { withTempDir } from "../protocol/testing.ts";

Deno.test("assertSecureDir() accepts a private or group-readable directory", async () => {
  await withTempDir("ipx_secure_dir_test_", async (dir) => {
    await Deno.chmod(dir, 0o700);
    await assertSecureDir(dir);
    await Deno.chmod(dir, 0o750);
    await assertSecureDir(dir);
  });
});

Deno.test("assertSecureDir() refuses a world-writable directory and says how to fix it", async () => {
  await withTempDir("ipx_secure_dir_test_", async (dir) => {
    await Deno.chmod(dir, 0o777);
    await assert.rejects(assertSecureDir(dir), (e: unknown) => {
      assert.ok(e instanceof InsecureDirError);
      assert.equal(e.path, dir);
      assert.match(e.message, /world-writable \(mode 777\)/);
      assert.ok(e.message.includes(`chmod 700 ${dir}`));
      return true;
    });
  });
});

Deno.test("assertSecureDir() refuses a missing path or a file", async () => {
  await withTempDir("ipx_secure_dir_test_", async (dir) => {
    await assert.rejects(assertSecureDir(join(dir, "absent")), InsecureDirError);
    const file = join(dir, "file");
    await Deno.writeTextFile(file, "");
    await assert.rejects(assertSecureDir(file), /not a directory/);
  });
});
