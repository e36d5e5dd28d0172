import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileAtomic, WriteFileError } from "./write_file_atomic.ts";
import { withTempDir } from "./testing.ts";

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  return out.sort();
}

Deno.test("writeFileAtomic() writes text with mode 0600 by default", async () => {
  await withTempDir("ipx_write_file_atomic_test_", async (dir) => {
    const path = join(dir, "f.json");
    await writeFileAtomic(path, "hello");
    assert.equal(await Deno.readTextFile(path), "hello");
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(await names(dir), ["f.json"]);
  });
});

Deno.test("writeFileAtomic() replaces an existing file with bytes and the given mode", async () => {
  await withTempDir("ipx_write_file_atomic_test_", async (dir) => {
    const path = join(dir, "f.bin");
    await Deno.writeTextFile(path, "old contents that are longer");
    await Deno.chmod(path, 0o666);
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]), 0o644);
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o644);
    assert.deepEqual(await names(dir), ["f.bin"]);
  });
});

Deno.test("writeFileAtomic() names the file when the directory is missing", async () => {
  await withTempDir("ipx_write_file_atomic_test_", async (dir) => {
    const path = join(dir, "absent", "f");
    await assert.rejects(writeFileAtomic(path, "x"), (e: unknown) => {
      assert.ok(e instanceof WriteFileError);
      assert.equal(e.path, path);
      assert.ok(e.message.startsWith(`Cannot write ${path}: `));
      assert.ok(e.cause instanceof Deno.errors.NotFound);
      return true;
    });
  });
});

Deno.test("writeFileAtomic() leaves no temporary file when the rename fails", async () => {
  await withTempDir("ipx_write_file_atomic_test_", async (dir) => {
    const path = join(dir, "target");
    await Deno.mkdir(join(path, "child"), { recursive: true }); // a non-empty dir cannot be replaced
    await assert.rejects(writeFileAtomic(path, "x"), WriteFileError);
    assert.deepEqual(await names(dir), ["target"]);
  });
});
