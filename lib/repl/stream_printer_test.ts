import assert from "node:assert/strict";
import { createPalette } from "./palette.ts";
import { printChunks, StreamPrinter } from "./stream_printer.ts";

const P = createPalette(false);

Deno.test("StreamPrinter labels whole lines and holds partial ones", () => {
  const p = new StreamPrinter({ prefixStdout: true }, P);
  assert.equal(p.push({ engineId: 0, name: "stdout", text: "a\nb" }), "[stdout:0] a\n");
  assert.equal(p.push({ engineId: 1, name: "stdout", text: "x\n" }), "[stdout:1] x\n");
  assert.equal(p.push({ engineId: 0, name: "stdout", text: "c\n" }), "[stdout:0] bc\n");
  assert.equal(p.push({ engineId: 0, name: "stderr", text: "err" }), "");
  assert.equal(p.flush(), "[stderr:0] err\n");
  assert.equal(p.flush(), "");
});

Deno.test("StreamPrinter passes a single engine's stdout through", () => {
  const p = new StreamPrinter({ prefixStdout: false }, P);
  assert.equal(p.push({ engineId: 0, name: "stdout", text: "50%" }), "50%");
  assert.equal(p.push({ engineId: 0, name: "stderr", text: "warn\n" }), "\n[stderr:0] warn\n");
  assert.equal(p.push({ engineId: 0, name: "stdout", text: "done" }), "done");
  assert.equal(p.flush(), "\n");
});

Deno.test("printChunks() prints a list with a final flush", () => {
  assert.equal(
    printChunks(
      [
        { engineId: 0, name: "stdout", text: "1\n2\n" },
        { engineId: 1, name: "stderr", text: "e" },
      ],
      { prefixStdout: true },
      P,
    ),
    "[stdout:0] 1\n[stdout:0] 2\n[stderr:1] e\n",
  );
});

Deno.test("StreamPrinter leaves ipx's frames out of console.trace() and printed errors", () => {
  const trace = "Trace: t\n    at <anonymous>:1:9\n" +
    "    at Session.post (ext:deno_node/inspector.js:1:3010)\n" +
    "    at evaluate (file:///x/lib/engine/worker.ts:309:10)\n";
  const labelled = new StreamPrinter({ prefixStdout: true }, createPalette(false));
  assert.equal(
    labelled.push({ engineId: 0, name: "stderr", text: trace }),
    "[stderr:0] Trace: t\n[stderr:0]     at <anonymous>:1:9\n",
  );
  assert.equal(
    labelled.push({
      engineId: 0,
      name: "stderr",
      text: "    at drain (file:///x/lib/engine/worker.ts:1:1)\n",
    }),
    "",
  );
  const plain = new StreamPrinter({ prefixStdout: false }, createPalette(false));
  assert.equal(
    plain.push({ engineId: 0, name: "stdout", text: trace }),
    "Trace: t\n    at <anonymous>:1:9\n",
  );
});
