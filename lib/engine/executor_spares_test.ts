import assert from "node:assert/strict";
import { decodeValue } from "../protocol/codec.ts";
import { SPARE_MIN_BYTES } from "./spare_buffers.ts";
import { exec, withExecutor } from "./executor_testing.ts";
import type { RunOutcome } from "./executor.ts";

const MIB = 1024 * 1024;

function bytesOf(outcome: RunOutcome): Uint8Array {
  assert.ok(outcome.ok, outcome.ok ? "" : outcome.error.evalue);
  return outcome.value!;
}

Deno.test("Executor: a big result's buffer handed back is what the Worker encodes the next big result into, intact", async () => {
  await withExecutor(async ({ ex }) => {
    await ex.run(exec(
      "const a = new Uint8Array(3 * 1024 * 1024).fill(7); " +
        "const b = new Uint8Array(2 * 1024 * 1024 + 5).map((_, i) => i % 251); " +
        "const small = new Uint8Array(1000).fill(9)",
    ));
    const first = bytesOf(await ex.run({ kind: "pull", names: ["a"] }));
    const firstBuffer = first.buffer;
    const firstLength = firstBuffer.byteLength;
    assert.ok(firstLength > SPARE_MIN_BYTES);
    assert.deepEqual(
      (decodeValue(first) as Uint8Array[])[0]!.subarray(0, 4),
      new Uint8Array(4).fill(7),
    );
    ex.recycle(first);
    assert.equal(firstBuffer.byteLength, 0, "the buffer moved back to the Worker");

    // a smaller big result goes into the spare: a view of it, every byte its own
    const second = bytesOf(await ex.run({ kind: "pull", names: ["b"] }));
    assert.equal(second.buffer.byteLength, firstLength, "encoded into the buffer handed back");
    assert.ok(second.byteLength < firstLength);
    const [b] = decodeValue(second) as Uint8Array[];
    assert.equal(b!.length, 2 * MIB + 5);
    assert.ok(b!.every((x, i) => x === i % 251), "no byte of the previous result shows through");

    // small results never use a spare, and values the executor did not return are ignored
    ex.recycle(second);
    const small = bytesOf(await ex.run({ kind: "pull", names: ["small"] }));
    assert.notEqual(small.buffer.byteLength, firstLength);
    const stranger = new Uint8Array(2 * MIB);
    ex.recycle(stranger);
    assert.equal(stranger.byteLength, 2 * MIB, "not ours: left alone");
    const smallLength = small.byteLength;
    ex.recycle(small);
    assert.equal(small.byteLength, smallLength, "small: left alone");

    // the spare is still there for the next big one, and the result is right
    const again = bytesOf(await ex.run({ kind: "pull", names: ["a"] }));
    assert.equal(again.buffer.byteLength, firstLength);
    const [a] = decodeValue(again) as Uint8Array[];
    assert.equal(a!.length, 3 * MIB);
    assert.ok(a!.every((x) => x === 7));
  });
});

Deno.test("Executor: a buffer handed back after its Worker was replaced is dropped, results stay right", async () => {
  await withExecutor(async ({ ex }) => {
    await ex.run(exec("globalThis.a = new Uint8Array(2 * 1024 * 1024).fill(1)"));
    const first = bytesOf(await ex.run({ kind: "pull", names: ["a"] }));
    await ex.run({ kind: "clear" }); // a fresh Worker
    ex.recycle(first); // to the stopped one: nothing happens
    await ex.run(exec("globalThis.a = new Uint8Array(2 * 1024 * 1024).fill(2)"));
    const [a] = decodeValue(bytesOf(await ex.run({ kind: "pull", names: ["a"] }))) as Uint8Array[];
    assert.ok(a!.every((x) => x === 2));
  });
});

Deno.test("Executor: spares unused for spareIdleMs are dropped", async () => {
  await withExecutor(async ({ ex }) => {
    await ex.run(exec(
      "globalThis.a = new Uint8Array(2 * 1024 * 1024 + 100); globalThis.b = new Uint8Array(2 * 1024 * 1024); 0",
    ));
    const first = bytesOf(await ex.run({ kind: "pull", names: ["a"] }));
    ex.recycle(first);
    // the Worker's own timer drops the spare while this op waits, past the 50 ms
    await ex.run(exec("await new Promise((r) => setTimeout(r, 300)); 0"));
    const next = bytesOf(await ex.run({ kind: "pull", names: ["b"] }));
    // (with the spare, b would be a view of a's 2 MiB + 106 byte buffer: the first test)
    assert.equal(next.buffer.byteLength, next.byteLength, "fresh memory, not the dropped spare");
  }, { spareIdleMs: 50 });
});
