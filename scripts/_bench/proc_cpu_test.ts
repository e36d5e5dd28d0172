import assert from "node:assert/strict";
import { cpuSpent, parseThreadStat, readCpu, threadGroup } from "./proc_cpu.ts";

Deno.test("parseThreadStat() counts fields from the last ')' (names may hold spaces and parens)", () => {
  const rest = "S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100 0 0";
  assert.deepEqual(parseThreadStat(`123 (V8 DefaultWorke) ${rest}`), {
    comm: "V8 DefaultWorke",
    cpuMs: 3000,
  });
  assert.deepEqual(parseThreadStat(`7 (a) b (c)) ${rest}`), { comm: "a) b (c)", cpuMs: 3000 });
  assert.throws(() => parseThreadStat("garbage"), /not a \/proc stat line/);
  assert.throws(() => parseThreadStat("1 (x) S 1"), /no CPU times/);
});

Deno.test("threadGroup() folds numbered thread names", () => {
  assert.equal(threadGroup("deno"), "main");
  assert.equal(threadGroup("worker-12"), "Worker thread");
  assert.equal(threadGroup("tokio-runtime-w"), "I/O threads");
  assert.equal(threadGroup("V8 DefaultWorke"), "V8 helpers (GC)");
  assert.equal(threadGroup("other"), "other");
});

Deno.test("readCpu() sees this process spend CPU, and cpuSpent() reports the difference", () => {
  const roles = { self: [Deno.pid], gone: [2 ** 30] };
  const before = readCpu(roles);
  assert.ok(before.size > 0);
  const end = performance.now() + 60; // > one clock tick of CPU
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  const spent = cpuSpent(before, readCpu(roles));
  // (under `deno test` the JS runs on a runtime thread, not the one named "deno")
  const total = spent.reduce((sum, [k, ms]) => sum + (k.startsWith("self/") ? ms : 0), 0);
  assert.ok(total >= 10, `this process spent ${total} ms (x=${x > 0})`);
  assert.ok(spent.every(([k]) => !k.startsWith("gone/")));
});
