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
