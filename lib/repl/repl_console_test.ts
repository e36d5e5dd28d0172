import assert from "node:assert/strict";
import { formatProgress, type OutputSink, ReplConsole } from "./repl_console.ts";

function sink(isTerminal: boolean): OutputSink & { text: string } {
  return {
    text: "",
    isTerminal,
    write(t: string) {
      this.text += t;
    },
  };
}

Deno.test("ReplConsole writes through when there is no status line", () => {
  const s = sink(false);
  const c = new ReplConsole(s);
  c.write("a\n");
  c.write("");
  c.setStatus("ignored off a terminal");
  c.write("b\n");
  assert.equal(s.text, "a\nb\n");
});

Deno.test("ReplConsole keeps the status line below the output on a terminal", () => {
  const s = sink(true);
  const out = () => s.text;
  const c = new ReplConsole(s);
  c.setStatus("[p] 0/2");
  assert.equal(s.text, "[p] 0/2");
  c.write("out\n");
  assert.equal(s.text, "[p] 0/2\r\x1b[2Kout\n[p] 0/2");
  c.setStatus("[p] 1/2");
  assert.equal(out().slice(-12), "\r\x1b[2K[p] 1/2");
  c.setStatus(undefined);
  assert.ok(out().endsWith("[p] 1/2\r\x1b[2K"));
  c.write("done\n");
  assert.ok(out().endsWith("\r\x1b[2Kdone\n"));
});

Deno.test("ReplConsole waits for the end of a partial line before drawing the status", () => {
  const s = sink(true);
  const c = new ReplConsole(s);
  c.write("50%");
  c.setStatus("[p]");
  assert.equal(s.text, "50%");
  c.write(" done\n");
  assert.equal(s.text, "50% done\n[p]");
});

Deno.test("formatProgress() shows done/total and seconds", () => {
  assert.equal(
    formatProgress(1, 4, 2345),
    "[progress] 1/4 engines done, 2.3 s elapsed (Ctrl-C interrupts)",
  );
});
