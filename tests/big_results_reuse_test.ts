/**
 * Big results and the engine's spare buffers (`lib/engine/spare_buffers.ts`), end to end in
 * memory: once the engine has written a big result, its buffer goes back to the code Worker,
 * which encodes the next big result into it; every pull still returns exactly its own bytes.
 */
import assert from "node:assert/strict";
import { SPARE_MIN_BYTES } from "../lib/engine/spare_buffers.ts";
import { startMemoryCluster } from "./_helpers/memory_cluster.ts";
import { within } from "./_helpers/within.ts";

Deno.test("an engine hands each big result's buffer back once written; every pull returns its own bytes", async () => {
  const recycled: number[] = [];
  let enough = Promise.withResolvers<void>();
  let want = 0;
  await using c = await startMemoryCluster({
    engines: 1,
    wrapExecutor: (ex) => {
      const recycle = ex.recycle.bind(ex);
      ex.recycle = (value) => {
        const size = value.byteLength;
        recycle(value);
        recycled.push(value.byteLength === 0 ? size : -size); // negative: it did not move
        if (recycled.length >= want) enough.resolve();
      };
      return ex;
    },
  });
  const dv = c.client.directView();
  const sizes = [3 << 20, (2 << 20) + 1000, 3 << 20, (2 << 20) + 7];
  for (const [k, size] of sizes.entries()) {
    want = k + 1;
    await dv.execute(
      `globalThis.v = new Uint8Array(${size}).map((_, i) => (i * ${k + 3}) % 256); 0`,
    );
    const [bytes] = await dv.pull("v") as Uint8Array[];
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(bytes.length, size);
    assert.ok(bytes.every((x, i) => x === (i * (k + 3)) % 256), `pull ${k}: its own bytes`);
    await within(enough.promise, 10_000, `the buffer of big result ${k} handed back`);
    enough = Promise.withResolvers<void>();
  }
  assert.equal(recycled.length, sizes.length);
  assert.ok(recycled.every((n) => n > SPARE_MIN_BYTES), `all moved back: ${recycled}`);

  // small results are kept for sending again (sent_results.ts), never handed back
  await dv.execute("globalThis.s = new Uint8Array(1000).fill(1)");
  for (let i = 0; i < 3; i++) {
    assert.equal(((await dv.pull("s")) as Uint8Array[])[0]!.length, 1000);
  }
  assert.equal(recycled.length, sizes.length);
});
