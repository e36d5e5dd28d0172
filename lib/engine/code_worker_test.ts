import assert from "node:assert/strict";
import { ownedPayload } from "./code_worker.ts";

const BIG = 256 * 1024;

Deno.test("ownedPayload() copies a payload that other messages of its frame may share", () => {
  const frame = new Uint8Array(BIG + 64);
  const args = frame.subarray(64);
  const { op, transfer } = ownedPayload({ kind: "apply", fn: "f", args });
  assert.ok(op.kind === "apply");
  assert.notEqual(op.args.buffer, frame.buffer);
  assert.deepEqual(transfer, [op.args.buffer]);
  assert.equal(op.args.length, BIG);
});

Deno.test("ownedPayload() moves the buffer of an exclusive big payload without copying", () => {
  const frame = new Uint8Array(BIG + 64);
  const ns = frame.subarray(64);
  const { op, transfer } = ownedPayload({ kind: "push", ns }, true);
  assert.ok(op.kind === "push");
  assert.equal(op.ns, ns);
  assert.deepEqual(transfer, [frame.buffer]);
});

Deno.test("ownedPayload() still copies exclusive payloads that are small or a small part of their buffer", () => {
  const small = new Uint8Array(1000);
  const a = ownedPayload({ kind: "push", ns: small }, true);
  assert.ok(a.op.kind === "push");
  assert.notEqual(a.op.ns.buffer, small.buffer);
  assert.deepEqual(a.transfer, []); // cloning a small buffer is cheaper than moving it
  const mostlyOther = new Uint8Array(4 * BIG).subarray(0, BIG);
  const b = ownedPayload({ kind: "push", ns: mostlyOther }, true);
  assert.ok(b.op.kind === "push");
  assert.notEqual(b.op.ns.buffer, mostlyOther.buffer); // would pin 4× the bytes in the Worker
  assert.equal(b.op.ns.buffer.byteLength, BIG);
});

Deno.test("ownedPayload() leaves ops without payload bytes as they are", () => {
  const op = { kind: "pull" as const, names: ["a"] };
  assert.deepEqual(ownedPayload(op, true), { op, transfer: [] });
});
