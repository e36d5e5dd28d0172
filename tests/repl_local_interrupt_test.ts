import assert from "node:assert/strict";
import { BLOCKED_HINT } from "../lib/repl/local_interrupt_slots.ts";

async function probe(
  scenario: string,
  helper = "local_interrupt_probe.ts",
): Promise<Record<string, unknown>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(`./_helpers/${helper}`, import.meta.url).pathname, scenario],
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `probe ${scenario}: ${stderr}`);
  return { ...JSON.parse(text), stderr };
}

const hintProbe = (scenario: string) => probe(scenario, "local_interrupt_hint_probe.ts");

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

Deno.test("a Ctrl-C a blocked local cell leaves unanswered is told of, once per cell", async () => {
  const r = await hintProbe("blocked");
  assert.deepEqual(r.first, { decided: 1, hints: 1 }, "two Ctrl-Cs, one hint");
  assert.equal(r.stopped, true, "the cell still stops when its loop runs again");
  assert.deepEqual(r.next, { decided: 2, hints: 2 }, "the next blocked cell is told of again");
  assert.equal(String(r.stderr).split(BLOCKED_HINT).length - 1, 2, String(r.stderr));
});

for (
  const [scenario, what] of [
    ["looping", "a loop check stopped the cell"],
    ["awaited", "the REPL heard it (the cell awaits), whichever thread heard it first"],
    ["ended", "the cell ended"],
  ] as const
) {
  Deno.test(`no blocked-cell hint for a Ctrl-C that was answered: ${what}`, async () => {
    const r = await hintProbe(scenario);
    if (scenario === "looping") assert.equal(r.stopped, true);
    assert.deepEqual(r.hints, { decided: 1, hints: 0 });
    assert.equal(r.stderr, "");
  });
}
