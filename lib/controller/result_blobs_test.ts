import assert from "node:assert/strict";
import { FileBlobs } from "./result_blobs.ts";
import { ResultFileWriter, WRITER_IN_THREAD } from "./result_writer.ts";
import { withTempDir } from "../protocol/testing.ts";

function value(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

Deno.test("FileBlobs serves a value while it is written and from its file after", async () => {
  await withTempDir("ipx-blobs-", async (dir) => {
    const blobs = new FileBlobs(dir, () => {});
    try {
      const v = value(2 * 1024 * 1024 + 1, 1);
      blobs.put(7, v);
      assert.equal(blobs.get(7), v, "in memory until written");
      await blobs.settle();
      assert.deepEqual(await Deno.readFile(`${dir}/7.bin`), v);
      const again = blobs.get(7)!;
      assert.notEqual(again, v, "read back from the file");
      assert.deepEqual(again, v);
      assert.deepEqual(blobs.keys(), [7]);
    } finally {
      await blobs.close();
    }
  });
});

Deno.test("FileBlobs does not write values deleted while they wait for the writer", async () => {
  await withTempDir("ipx-blobs-", async (dir) => {
    const writer = new ResultFileWriter();
    const blobs = new FileBlobs(dir, () => {}, writer);
    try {
      // deleted in the same step as put: never handed to the writer
      blobs.put(1, value(1024 * 1024, 1));
      blobs.delete(1);
      // six more: two go to the writer's thread, four wait in its queue
      for (let k = 2; k <= 7; k++) blobs.put(k, value(2 * 1024 * 1024, k));
      await Promise.resolve(); // each put reaches the writer one microtask later
      assert.equal(writer.queued, 6 - WRITER_IN_THREAD);
      for (let k = 4; k <= 7; k++) blobs.delete(k); // culled: the waiting ones are dropped
      assert.equal(writer.queued, 0);
      assert.equal(blobs.get(5), undefined);
      await blobs.settle();
      const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual(files, ["2.bin", "3.bin"]);
      assert.deepEqual(await Deno.readFile(`${dir}/3.bin`), value(2 * 1024 * 1024, 3));
      assert.deepEqual(blobs.keys().sort(), [2, 3]);
    } finally {
      await blobs.close();
    }
  });
});
