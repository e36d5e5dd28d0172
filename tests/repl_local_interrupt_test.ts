import assert from "node:assert/strict";

async function probe(scenario: string): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_helpers/local_interrupt_probe.ts", import.meta.url).pathname,
      scenario,
    ],
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `probe ${scenario}: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text);
}

Deno.test("a local cell blocked through two Ctrl-Cs stops; the next Ctrl-C is not lost", async () => {
  const r = await probe("blocked");
  assert.equal(r.ranBefore, true);
  assert.equal(r.stopped, true);
  assert.equal(r.stoppedAgain, true, "a catch in the loop cannot swallow it");
  assert.equal(r.ranAfter, true, "between cells loops run on");
  assert.deepEqual(r.afterCell, [true], "the Ctrl-Cs that stopped the cell are spent");
  assert.deepEqual(r.calls, [true, false], "a fresh Ctrl-C is the REPL's to handle");
});

Deno.test("a Ctrl-C the REPL heard while a cell awaited is not spent again by its later loop", async () => {
  const r = await probe("awaited");
  assert.equal(r.stopped, true, "the cell's loop, run later, still stops");
  assert.deepEqual(r.afterCell, [false]);
  assert.deepEqual(r.calls, [false, false]);
});
