import assert from "node:assert/strict";
import { Figures } from "./figures.ts";
import { better, buildRows, renderReport, type Row } from "./report.ts";
import { parseSettings } from "./settings.ts";
import { summarize } from "./stats.ts";

const settings = parseSettings([]);

function row(rows: Row[], prefix: string): Row {
  const r = rows.find((r) => r.workload.startsWith(prefix));
  assert.ok(r, `no row ${prefix}: ${rows.map((r) => r.workload).join(" | ")}`);
  return r;
}

Deno.test("bench report: ratios follow the unit's direction", () => {
  assert.equal(better(summarize([1]), summarize([4]), true), 4); // times: lower is better
  assert.equal(better(summarize([400]), summarize([100]), false), 4); // rates: higher is better
  assert.equal(better(undefined, summarize([1]), true), undefined);
  assert.equal(better(summarize([0]), summarize([1]), true), undefined);
});

Deno.test("bench report: pass and miss against ratio and absolute targets", () => {
  const f = new Figures();
  // w1: 14× needed; 4,000 / 250 = 16× → pass
  for (const v of [240, 250, 260]) f.record("apply rtt", "ipx", "µs", v);
  f.record("apply rtt", "ipp", "µs", 4000);
  // w2 burst: 100× and 25,000 tasks/s needed; 30,000 / 250 = 120× → pass
  f.record("lb apply burst", "ipx", "tasks/s", 30_000);
  f.record("lb apply burst", "ipp", "tasks/s", 250);
  // w2 map: ratio met (200×) but the absolute rate is not → miss
  f.record("lb map", "ipx", "tasks/s", 20_000);
  f.record("lb map", "ipp", "tasks/s", 100);
  // w4 local push: absolute only, 900 < 1,000 → miss
  f.record("push", "ipx", "MB/s", 900);
  // w6: lower is better, < 1 s → pass
  f.record("start 4 engines", "ipx", "s", 0.7);
  f.record("start 4 engines", "ipp", "s", 7);
  // w3 with ipx only: the ratio cannot be judged
  f.record("execute all", "ipx", "µs", 500);
  const rows = buildRows(settings, f);
  assert.equal(row(rows, "w1 apply").pass, true);
  assert.equal(row(rows, "w1 apply").ratio, 16);
  assert.equal(row(rows, "w2 LB apply burst").pass, true);
  assert.equal(row(rows, "w2 LB map").pass, false);
  assert.equal(row(rows, "w2 LB map").target, "≥100× ipp & ≥25,000 tasks/s");
  assert.equal(row(rows, "w4 push 16 MiB/engine, local socket").pass, false);
  assert.equal(row(rows, "w6").pass, true);
  assert.equal(row(rows, "w6").target, "<1 s");
  assert.equal(row(rows, "w3").pass, undefined);
  assert.equal(row(rows, "w3").ratio, undefined);
  // figures never measured make no row (ipyparallel with bytes was not run here)
  assert.equal(rows.find((r) => r.workload.includes("ipp bytes")), undefined);
  assert.equal(rows.find((r) => r.workload.startsWith("w5")), undefined);
});

Deno.test("bench report: an unknown part does not hide a known miss", () => {
  const f = new Figures();
  f.record("lb map", "ipx", "tasks/s", 10_000); // below 25,000; no ipyparallel figure
  assert.equal(row(buildRows(settings, f), "w2 LB map").pass, false);
  const g = new Figures();
  g.record("lb map", "ipx", "tasks/s", 30_000); // above 25,000; the ratio is unknown
  assert.equal(row(buildRows(settings, g), "w2 LB map").pass, undefined);
});

Deno.test("bench report: the floor rows, the ipp-bytes rows and the rendered table", () => {
  const f = new Figures();
  f.record("floor latency", "floor", "µs", 300);
  f.record("floor throughput", "floor", "req/s", 40_000);
  f.record("apply rtt", "ipx", "µs", 1200);
  f.record("lb apply burst", "ipx", "tasks/s", 8_000);
  f.record("push", "ipx", "MB/s", 600);
  f.record("push", "ipp-bytes", "MB/s", 300);
  f.record("pull", "ipx", "MB/s", 400);
  f.record("pull", "ipp-bytes", "MB/s", 800);
  f.recordError("scatter+gather list", "ipx", "ms", new Error("engine 1 died\nstack"));
  const rows = buildRows(settings, f);
  const vsFloor = row(rows, "w1   … ipx vs floor");
  assert.equal(vsFloor.pass, false); // 4× the floor
  assert.match(vsFloor.note!, /floor 300 µs → ipx is 4\.0× floor/);
  assert.match(row(rows, "w2   … ipx vs floor").note!, /reaches 20\.0% of it/);
  assert.equal(row(rows, "w4   … push vs ipp bytes").ratio, 2);
  assert.equal(row(rows, "w4   … pull vs ipp bytes").ratio, 0.5);
  const text = renderReport(settings, rows, f);
  assert.match(text, /w1 {3}… ipx vs floor \(× floor\) +µs +1,200 .*≤3× floor +MISS +floor 300 µs/);
  assert.match(text, /plain +1-in-flight 300 .*µs\/round trip, 64-in-flight 40,000 .*req\/s/);
  assert.match(text, /errors:\n {2}scatter\+gather list \(ipx\): engine 1 died$/m);
  assert.doesNotMatch(text, /stack/);
});
