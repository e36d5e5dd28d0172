import assert from "node:assert/strict";
import type { EngineToController } from "../protocol/messages.ts";
import { joinOutput, splitOutput, STREAM_JOIN_MAX, tooLargeReplacement } from "./outgoing.ts";

Deno.test("joinOutput() adds to the waiting output of the same job and stream only", () => {
  const last: EngineToController = { type: "stream", msgId: "t1", name: "stdout", text: "a\n" };
  assert.equal(joinOutput(last, "t1", "stdout", "b\n"), true);
  assert.equal(last.text, "a\nb\n");
  assert.equal(joinOutput(last, "t1", "stderr", "e\n"), false, "another stream");
  assert.equal(joinOutput(last, "t2", "stdout", "x\n"), false, "another job");
  assert.equal(joinOutput(undefined, "t1", "stdout", "x\n"), false, "nothing waits");
  assert.equal(joinOutput({ type: "pong", t: 1 }, "t1", "stdout", "x\n"), false);
  assert.equal(joinOutput(last, "t1", "stdout", "y".repeat(STREAM_JOIN_MAX)), false, "full");
  assert.equal(last.text, "a\nb\n");
});

Deno.test("tooLargeReplacement() notes dropped output, fails a result, and leaves the rest", () => {
  const stream = tooLargeReplacement(
    { type: "stream", msgId: "t1", name: "stderr", text: "…" },
    3 * 1024 * 1024,
    1024 * 1024,
  );
  assert.deepEqual(stream, {
    type: "stream",
    msgId: "t1",
    name: "stderr",
    text: "[ipx: 3.0 MiB of stderr in one piece was dropped: more than the controller accepts " +
      "in one message (1.0 MiB, its --max-frame-mb)]\n",
  });
  const result = tooLargeReplacement(
    {
      type: "result",
      msgId: "t2",
      ok: true,
      value: new Uint8Array(8),
      executionCount: 1,
      started: 1,
      completed: 2,
    },
    3 * 1024 * 1024,
    1024 * 1024,
  );
  assert.equal(result?.type, "result");
  assert.equal((result as { ok: boolean }).ok, false);
  assert.equal((result as { error: { ename: string } }).error.ename, "ResultTooLarge");
  assert.equal(tooLargeReplacement({ type: "pong", t: 1 }, 10, 5), undefined);
});

Deno.test("splitOutput() cuts output into pieces that fit a message, never inside a character", () => {
  assert.deepEqual(splitOutput("short", 1024 * 1024), ["short"]);
  const limit = 1024 * 1024;
  const max = Math.floor((limit - 4096) / 3);
  const text = "a".repeat(max - 1) + "\u{1F600}" + "b".repeat(2 * max);
  const pieces = splitOutput(text, limit);
  assert.equal(pieces.join(""), text);
  assert.ok(pieces.every((p) => p.length <= max));
  assert.equal(pieces[0], "a".repeat(max - 1), "the emoji's two halves stay together");
  assert.ok(pieces[1]!.startsWith("\u{1F600}"));
  assert.ok(pieces.every((p) => new TextEncoder().encode(p).length + 4096 <= limit));
});
