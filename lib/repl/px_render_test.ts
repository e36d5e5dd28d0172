import assert from "node:assert/strict";
import type { Settled } from "../client/async_result.ts";
import { RemoteError } from "../client/errors.ts";
import { createPalette } from "./palette.ts";
import {
  interruptedBeforeStart,
  type PxRenderOptions,
  renderPxOutcome,
  wasInterrupted,
} from "./px_render.ts";
import type { Chunk } from "./stream_printer.ts";

const palette = createPalette(false);

function ok(engineId: number, value: unknown, executionCount = 1): Settled {
  return { ok: true, engineId, msgId: `m${engineId}`, value, executionCount };
}
function fail(engineId: number, ename: string, evalue: string, stack = ""): Settled {
  return {
    ok: false,
    engineId,
    msgId: `m${engineId}`,
    executionCount: 1,
    error: new RemoteError({ ename, evalue, stack, engineId }, `m${engineId}`),
  };
}

const CHUNKS: Chunk[] = [
  { engineId: 1, name: "stdout", text: "b1\n" },
  { engineId: 0, name: "stderr", text: "e0\n" },
  { engineId: 0, name: "stdout", text: "a1\n" },
  { engineId: 1, name: "stderr", text: "e1\n" },
];

function opts(over: Partial<PxRenderOptions> = {}): PxRenderOptions {
  return { streamed: false, groupOutputs: "engine", prefixStdout: true, palette, ...over };
}

Deno.test("renderPxOutcome() prints Out lines in target order and skips undefined", () => {
  const text = renderPxOutcome([ok(0, 2, 1), ok(1, undefined, 4), ok(2, "x", 3)], [], opts());
  assert.equal(text, 'Out[0:1]: 2\nOut[2:3]: "x"\n');
});

Deno.test("renderPxOutcome() groups unstreamed outputs by engine", () => {
  assert.equal(
    renderPxOutcome([ok(0, 1), ok(1, 2)], CHUNKS, opts()),
    "[stdout:0] a1\n[stderr:0] e0\nOut[0:1]: 1\n[stdout:1] b1\n[stderr:1] e1\nOut[1:1]: 2\n",
  );
});

Deno.test("renderPxOutcome() groups unstreamed outputs by type", () => {
  assert.equal(
    renderPxOutcome([ok(0, 1), ok(1, 2)], CHUNKS, opts({ groupOutputs: "type" })),
    "[stdout:0] a1\n[stdout:1] b1\n[stderr:0] e0\n[stderr:1] e1\nOut[0:1]: 1\nOut[1:1]: 2\n",
  );
});

Deno.test("renderPxOutcome() keeps arrival order with --group-outputs order", () => {
  assert.equal(
    renderPxOutcome([ok(0, 1), ok(1, 2)], CHUNKS, opts({ groupOutputs: "order" })),
    "[stdout:1] b1\n[stderr:0] e0\n[stdout:0] a1\n[stderr:1] e1\nOut[0:1]: 1\nOut[1:1]: 2\n",
  );
});

Deno.test("renderPxOutcome() leaves streamed outputs out", () => {
  assert.equal(renderPxOutcome([ok(0, 1)], CHUNKS, opts({ streamed: true })), "Out[0:1]: 1\n");
});

Deno.test("renderPxOutcome() sums up errors of a cell run on several engines, not on one", () => {
  const stack = "Error: boom\n    at <anonymous>:1:7";
  assert.equal(
    renderPxOutcome([ok(0, 1), fail(1, "Error", "boom", stack)], [], opts()),
    "Out[0:1]: 1\n[1:execute] Error: boom\n    at <anonymous>:1:7\n" +
      "CompositeError: 1 error on engine 1\n",
  );
  assert.equal(
    renderPxOutcome([fail(1, "Error", "boom", stack)], [], opts()),
    "[1:execute] Error: boom\n    at <anonymous>:1:7\n",
  );
  const three = renderPxOutcome(
    [fail(0, "Error", "boom", stack), fail(1, "Error", "boom", stack), fail(2, "X", "y")],
    [],
    opts(),
  );
  assert.equal(
    three,
    "[0:execute] Error: boom\n    at <anonymous>:1:7\n" +
      "[1:execute] Error: boom\n    at <anonymous>:1:7\n" +
      "[2:execute] X: y\nCompositeError: 3 errors on engines 0,1,2\n",
  );
});

Deno.test("renderPxOutcome() reports interrupted engines as reset, not as errors", () => {
  const settled = [fail(0, "Interrupted", "task m0 was interrupted"), fail(1, "Interrupted", "x")];
  assert.equal(wasInterrupted(settled[0]!), true);
  assert.equal(wasInterrupted(ok(0, 1)), false);
  assert.equal(
    renderPxOutcome(settled, [], opts()),
    "Interrupted: the code was stopped; namespace reset on engines 0,1 (their variables are " +
      "gone; the engines are ready)\n",
  );
});

Deno.test("renderPxOutcome() tells an interrupt that only took the cell off a busy engine's queue from a reset", () => {
  const settled = [
    fail(0, "Interrupted", "task m0 was interrupted; the engine's namespace was reset"),
    fail(1, "Interrupted", "task m1 was interrupted before it started"),
    fail(2, "TaskAborted", "task m2 was interrupted before it started"),
    fail(3, "TaskAborted", "task m3 was aborted before it started"),
  ];
  assert.deepEqual(settled.map(interruptedBeforeStart), [false, true, true, false]);
  assert.deepEqual(settled.map(wasInterrupted), [true, true, true, false]);
  assert.equal(
    renderPxOutcome(settled, [], opts()),
    "[3:execute] TaskAborted: task m3 was aborted before it started\n" +
      "CompositeError: 1 error on engine 3\n" +
      "Interrupted: the code was stopped; namespace reset on engines 0 (their variables are " +
      "gone; the engines are ready)\n" +
      "Interrupted: the code never started on engines 1,2: they were busy with earlier work " +
      "(another client's, or a task this session did not wait for), which goes on; their " +
      "namespaces are untouched (`await rc.dbQuery({ engineId: 1, completed: null })` lists " +
      "what is unfinished there; `rc.getResult(msgId).interrupt()` stops one)\n",
  );
});

Deno.test("renderPxOutcome() without stdout prefixes for a single engine", () => {
  assert.equal(
    renderPxOutcome(
      [ok(3, 9)],
      [{ engineId: 3, name: "stdout", text: "hi\n" }],
      opts({
        prefixStdout: false,
      }),
    ),
    "hi\nOut[3:1]: 9\n",
  );
});
