import assert from "node:assert/strict";
import type { SubmitTask } from "../protocol/messages.ts";
import { payloadBytes, sizeTasks, TASK_ROOM_BYTES, tooLargeResult } from "./submit_size.ts";

const push = (msgId: string, bytes: number): SubmitTask => ({
  msgId,
  engineId: 0,
  op: { kind: "push", ns: new Uint8Array(bytes) },
});

Deno.test("payloadBytes() bounds each op's encoded payload", () => {
  assert.equal(payloadBytes({ kind: "push", ns: new Uint8Array(10) }), 10);
  assert.equal(payloadBytes({ kind: "apply", fn: "f", args: new Uint8Array(7) }), 3 + 7);
  assert.equal(payloadBytes({ kind: "execute", code: "x = 1" }), 15);
  assert.equal(payloadBytes({ kind: "pull", names: ["ab", "c"] }), 6 + 8 + 3 + 8);
  assert.equal(payloadBytes({ kind: "clear" }), 0);
});

Deno.test("sizeTasks() fills submit messages up to the limit, in order, and sets aside tasks too big", () => {
  const limit = 4 * TASK_ROOM_BYTES;
  const tasks = [
    push("a", TASK_ROOM_BYTES), // 2 rooms with its own
    push("b", TASK_ROOM_BYTES), // 4: still fits
    push("c", 4 * TASK_ROOM_BYTES), // alone it needs 5: too big
    push("d", 0),
    push("e", 2 * TASK_ROOM_BYTES), // 1 + 3 = 4
    push("f", 0), // a new message
  ];
  const { messages, tooLarge } = sizeTasks(tasks, limit);
  assert.deepEqual(messages.map((m) => m.map((t) => t.msgId)), [["a", "b"], ["d", "e"], ["f"]]);
  assert.deepEqual(tooLarge.map((t) => [t.task.msgId, t.bytes]), [["c", 4 * TASK_ROOM_BYTES]]);
  assert.deepEqual(sizeTasks([], limit), { messages: [], tooLarge: [] });
});

Deno.test("tooLargeResult() says what was too big, the limit, and what to do", () => {
  const r = tooLargeResult(push("t1", 3 * 1024 * 1024), 3 * 1024 * 1024, 1024 * 1024);
  assert.equal(r.msgId, "t1");
  assert.equal(r.engineId, 0);
  assert.equal(r.ok, false);
  assert.equal(r.error?.ename, "MessageTooLarge");
  assert.match(
    r.error!.evalue,
    /^This push is 3\.0 MiB encoded, more than the controller accepts in one message \(1\.0 MiB, its --max-frame-mb\); it was not sent\. Send the data in smaller parts: several pushes or scatters of slices, each under 1\.0 MiB per engine, or .*larger --max-frame-mb \(at most 1024\)$/,
  );
  const apply = tooLargeResult(
    { msgId: "t2", op: { kind: "apply", fn: "f", args: new Uint8Array(0) } },
    5,
    4,
  );
  assert.equal(apply.engineId, -1, "load-balanced");
  assert.match(apply.error!.evalue, /^This apply \(function and arguments\) is 0\.0 MiB/);
});
