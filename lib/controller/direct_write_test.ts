import assert from "node:assert/strict";
import fs from "node:fs";
import fsp from "node:fs/promises";
import { DIRECT_ALIGN, DIRECT_CHUNK_BYTES, DirectFileWriter } from "./direct_write.ts";
import { withTempDir } from "../protocol/testing.ts";

/** Bytes that differ at every position (and between files, by `seed`). */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >>> 12)) & 0xff;
  return out;
}

/** Whether `dir`'s file system lets a file be opened for direct I/O (asked without the writer). */
function opensDirect(dir: string): boolean {
  const c = fs.constants as Record<string, number | undefined>;
  if (c.O_DIRECT === undefined) return false;
  const path = `${dir}/probe`;
  try {
    fs.closeSync(fs.openSync(path, c.O_WRONLY! | c.O_CREAT! | c.O_DIRECT, 0o600));
    return true;
  } catch {
    return false;
  } finally {
    try {
      fs.unlinkSync(path);
    } catch { /* not created */ }
  }
}

const SIZES = [
  0,
  1,
  DIRECT_ALIGN - 1,
  DIRECT_ALIGN,
  DIRECT_ALIGN + 1,
  DIRECT_CHUNK_BYTES,
  DIRECT_CHUNK_BYTES + 1,
  2 * DIRECT_CHUNK_BYTES + 123,
];

Deno.test("DirectFileWriter writes files of every size exactly, owner-only, around the page cache where it can", async () => {
  await withTempDir("ipx-direct-", async (dir) => {
    const writer = new DirectFileWriter();
    for (const [i, size] of SIZES.entries()) {
      const bytes = pattern(size, i);
      await writer.write(`${dir}/${i}.bin`, bytes);
      assert.deepEqual(await Deno.readFile(`${dir}/${i}.bin`), bytes, `size ${size}`);
      assert.equal((await Deno.stat(`${dir}/${i}.bin`)).mode! & 0o777, 0o600);
    }
    if (opensDirect(dir)) {
      assert.equal(writer.mode, "direct");
      assert.equal(writer.directFiles, SIZES.length);
    } else {
      assert.equal(writer.mode, "buffered");
    }
  });
});

Deno.test("DirectFileWriter: concurrent writes share the staging buffer one at a time; a rewrite cuts the file", async () => {
  await withTempDir("ipx-direct-", async (dir) => {
    const writer = new DirectFileWriter();
    const files = SIZES.map((size, i) => ({
      path: `${dir}/${i}.bin`,
      bytes: pattern(size, i + 50),
    }));
    await Promise.all(files.map((f) => writer.write(f.path, f.bytes)));
    for (const f of files) assert.deepEqual(await Deno.readFile(f.path), f.bytes);
    // a shorter value over a longer file leaves exactly the shorter one
    const short = pattern(100, 9);
    await writer.write(files.at(-1)!.path, short);
    assert.deepEqual(await Deno.readFile(files.at(-1)!.path), short);
  });
});

Deno.test("DirectFileWriter falls back to buffered writes, for good, where the file system refuses direct I/O at open", async () => {
  const refusals = [
    { code: "EINVAL", message: "Invalid argument (os error 22)" },
    { code: "EOPNOTSUPP", message: "Operation not supported (os error 95)" },
    { code: undefined, message: "Operation not supported (os error 95)" },
  ];
  for (const refusal of refusals) {
    await withTempDir("ipx-direct-", async (dir) => {
      let opens = 0;
      const writer = new DirectFileWriter({
        open: () => {
          opens++;
          return Promise.reject(Object.assign(new Error(refusal.message), { code: refusal.code }));
        },
      });
      const bytes = pattern(DIRECT_CHUNK_BYTES + 5, 3);
      await writer.write(`${dir}/a.bin`, bytes);
      await writer.write(`${dir}/b.bin`, bytes.subarray(7));
      assert.deepEqual(await Deno.readFile(`${dir}/a.bin`), bytes);
      assert.deepEqual(await Deno.readFile(`${dir}/b.bin`), bytes.subarray(7));
      assert.equal(writer.mode, "buffered", refusal.message);
      assert.equal(opens, 1, "direct I/O is not tried again");
    });
  }
});

Deno.test("DirectFileWriter falls back when the file opens but no buffer offset is accepted", async () => {
  await withTempDir("ipx-direct-", async (dir) => {
    let writes = 0;
    const writer = new DirectFileWriter({
      open: async (path, _flags, mode) => {
        // a file system that takes O_DIRECT at open and refuses every direct write
        const handle = await fsp.open(path, "w", mode);
        return new Proxy(handle, {
          get(target, prop, receiver) {
            if (prop === "write") {
              return () => {
                writes++;
                return Promise.reject(Object.assign(new Error("Invalid argument"), {
                  code: "EINVAL",
                }));
              };
            }
            const v = Reflect.get(target, prop, receiver);
            return typeof v === "function" ? v.bind(target) : v;
          },
        });
      },
    });
    const bytes = pattern(5000, 4);
    await writer.write(`${dir}/a.bin`, bytes);
    assert.deepEqual(await Deno.readFile(`${dir}/a.bin`), bytes);
    assert.equal(writer.mode, "buffered");
    assert.equal(writes, DIRECT_ALIGN / 16, "every candidate offset was tried once");
  });
});

Deno.test("DirectFileWriter passes on errors other than a refusal of direct I/O", async () => {
  await withTempDir("ipx-direct-", async (dir) => {
    const writer = new DirectFileWriter({
      open: () => Promise.reject(Object.assign(new Error("No space left"), { code: "ENOSPC" })),
    });
    await assert.rejects(writer.write(`${dir}/a.bin`, pattern(10, 1)), /No space left/);
    assert.equal(writer.mode, "untried");
  });
});

Deno.test("DirectFileWriter reports a write that cannot happen, and keeps writing afterwards", async () => {
  await withTempDir("ipx-direct-", async (dir) => {
    const writer = new DirectFileWriter();
    await assert.rejects(writer.write(`${dir}/missing/x.bin`, pattern(10, 1)), /no such file/i);
    await writer.write(`${dir}/ok.bin`, pattern(10, 1));
    assert.deepEqual(await Deno.readFile(`${dir}/ok.bin`), pattern(10, 1));
  });
});
