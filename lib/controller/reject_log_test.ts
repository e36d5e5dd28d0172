import assert from "node:assert/strict";
import { generateKey } from "../protocol/auth.ts";
import { memoryPair } from "../protocol/memory_transport.ts";
import { ManualClock } from "./clock.ts";
import { Controller } from "./controller.ts";
import { DEFAULT_REJECT_BURST, DEFAULT_REJECT_INTERVAL_MS, RejectLog } from "./reject_log.ts";

function setup(burst = 3) {
  const clock = new ManualClock();
  const lines: string[] = [];
  const log = new RejectLog(
    (level, m) => {
      assert.equal(level, "warn");
      lines.push(m);
    },
    clock,
    { burst, intervalMs: 10_000 },
  );
  return { clock, lines, log };
}

Deno.test("RejectLog: a single refusal is logged at once, in full", () => {
  const { clock, lines, log } = setup();
  log.rejected("10.0.0.1:5000", "Peer (engine) holds a different key: copy a fresh file");
  assert.deepEqual(lines, [
    "rejected connection from 10.0.0.1:5000: Peer (engine) holds a different key: copy a fresh file",
  ]);
  clock.advance(10_000); // nothing was held back: no summary
  assert.equal(lines.length, 1);
  log.close();
  assert.equal(lines.length, 1);
});

Deno.test("RejectLog: past the burst, refusals are counted and summarised once per interval", () => {
  const { clock, lines, log } = setup();
  for (let i = 0; i < 1000; i++) {
    log.rejected(`10.0.0.2:${i}`, i === 999 ? "did not complete within 2000 ms" : "garbage");
    clock.advance(5);
  }
  assert.equal(lines.length, 3, "only the burst so far");
  assert.match(lines[2]!, /^rejected connection from 10\.0\.0\.2:2: garbage$/);
  assert.equal(log.suppressed, 997);
  clock.advance(10_000 - 5000); // the interval (from the first refusal) ends
  assert.equal(lines.length, 4);
  assert.match(
    lines[3]!,
    /^997 more connections failed to authenticate in the last 10 s \(last: 10\.0\.0\.2:999: did not complete within 2000 ms\); only the first 3 every 10 s are logged in full: .*firewall it/,
  );
  assert.equal(log.suppressed, 0);

  // a new interval starts with the next refusal, with a full burst again
  clock.advance(60_000);
  for (let i = 0; i < 4; i++) log.rejected("10.0.0.3:1", "garbage");
  assert.equal(lines.length, 7);
  assert.match(lines[6]!, /^rejected connection from 10\.0\.0\.3:1/);
  clock.advance(2500);
  log.close(); // stopping reports what is still counted, and stops the timer
  assert.equal(lines.length, 8);
  assert.match(lines[7]!, /^1 more connection failed to authenticate in the last 2\.5 s/);
  clock.advance(20_000);
  assert.equal(lines.length, 8);
  log.rejected("10.0.0.4:1", "late"); // after close: logged as is, no timer
  assert.equal(lines.at(-1), "rejected connection from 10.0.0.4:1: late");
});

Deno.test("a controller logs a churn of refused connections in full only up to the burst", async () => {
  const clock = new ManualClock();
  const lines: string[] = [];
  const controller = new Controller({
    key: generateKey(),
    clock,
    log: (level, m) => level === "warn" && lines.push(m),
  });
  try {
    for (let i = 0; i < 50; i++) {
      const [a, b] = memoryPair();
      const served = controller.accept(b, `10.0.0.9:${i}`);
      await a.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0])); // a frame far over 4 KiB
      await served;
      a.close();
    }
    const full = lines.filter((m) => m.startsWith("rejected connection from 10.0.0.9:"));
    assert.equal(full.length, DEFAULT_REJECT_BURST, lines.join("\n"));
    assert.match(full[0]!, /^rejected connection from 10\.0\.0\.9:0: Frame of \d+ bytes exceeds/);
    clock.advance(DEFAULT_REJECT_INTERVAL_MS);
    assert.match(
      lines.at(-1)!,
      /^40 more connections failed to authenticate in the last 10 s \(last: 10\.0\.0\.9:49: Frame of/,
    );
  } finally {
    await controller.close();
  }
});
