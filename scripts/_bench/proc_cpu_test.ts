import assert from "node:assert/strict";
import {
  cpuSpent,
  parseThreadStat,
  readCpu,
  readTotals,
  threadGroup,
  totalsSpent,
} from "./proc_cpu.ts";

Deno.test("parseThreadStat() counts fields from the last ')' (names may hold spaces and parens)", () => {
  const rest = "S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0 100 0 0";
  const stat = { cpuMs: 3000, userMs: 2500, sysMs: 500, minorFaults: 7 };
  assert.deepEqual(parseThreadStat(`123 (V8 DefaultWorke) ${rest}`), {
    comm: "V8 DefaultWorke",
    ...stat,
  });
  assert.deepEqual(parseThreadStat(`7 (a) b (c)) ${rest}`), { comm: "a) b (c)", ...stat });
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

Deno.test("readTotals() sees this process touch fresh memory, and totalsSpent() reports it", () => {
  const roles = { self: [Deno.pid], gone: [2 ** 30] };
  const before = readTotals(roles);
  // 64 MiB: above glibc's largest dynamic mmap threshold (32 MiB), so always fresh pages, even
  // in a test process whose heap earlier tests grew and freed; each first touch of a page is a
  // fault (of 2 MiB where the allocator asks for huge pages: 32 faults)
  const pages = new Uint8Array(64 << 20);
  for (let i = 0; i < pages.length; i += 4096) pages[i] = 1;
  const spent = new Map(totalsSpent(before, readTotals(roles)));
  const self = spent.get("self")!;
  assert.ok(self.minorFaults >= 16, `${self.minorFaults} faults for 16,384 fresh pages`);
  assert.ok(self.userMs >= 0 && self.sysMs >= 0);
  assert.deepEqual(spent.get("gone"), { userMs: 0, sysMs: 0, minorFaults: 0 });
});
