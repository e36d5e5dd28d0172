/**
 * The bench's report: rows with ratios and the issue's targets (pass / miss), rendered as a
 * text table.
 *
 * @module
 */

import type { Figures, System } from "./figures.ts";
import type { Settings } from "./settings.ts";
import { fmtNum, fmtSummary, type Summary, textTable } from "./stats.ts";

/** One line of the bench's table. */
export interface Row {
  workload: string;
  unit: string;
  ipx: Summary | undefined;
  ipp: Summary | undefined;
  /** How many times better ipx is than the reference (ipp, or the floor for floor rows). */
  ratio: number | undefined;
  target: string;
  pass: boolean | undefined;
  note?: string;
}

/**
 * How many times better `ipx` is than `ref`, by medians.
 *
 * @param ipx ipx's figure.
 * @param ref The reference's figure.
 * @param lowerIsBetter True for times and sizes, false for rates.
 * @returns Undefined when either is missing or zero.
 */
export function better(
  ipx: Summary | undefined,
  ref: Summary | undefined,
  lowerIsBetter: boolean,
): number | undefined {
  if (!ipx || !ref || ipx.median === 0 || ref.median === 0) return undefined;
  return lowerIsBetter ? ref.median / ipx.median : ipx.median / ref.median;
}

/**
 * The table's rows: each workload's ipx and ipyparallel figures, the ratio, the issue's target
 * and whether it is met (undefined when a figure needed to judge is missing).
 *
 * @param s The run's settings (sizes name the rows).
 * @param figures What was measured.
 */
export function buildRows(s: Settings, figures: Figures): Row[] {
  const get = (metric: string, system: System) => figures.get(metric, system);
  const rows: Row[] = [];
  const cmp = (
    workload: string,
    metric: string,
    unit: string,
    lower: boolean,
    target?: { ratio?: number; abs?: number; absText?: string },
    ipxSys: System = "ipx",
    ippSys: System = "ipp",
  ) => {
    const ipx = get(metric, ipxSys);
    const ipp = get(metric, ippSys);
    if (!ipx && !ipp) return;
    const ratio = better(ipx, ipp, lower);
    const parts: string[] = [];
    const checks: Array<boolean | undefined> = [];
    if (target?.ratio !== undefined) {
      parts.push(`≥${target.ratio}× ipp`);
      checks.push(ratio === undefined ? undefined : ratio >= target.ratio);
    }
    if (target?.abs !== undefined) {
      parts.push(target.absText ?? `${lower ? "<" : "≥"}${fmtNum(target.abs)} ${unit}`);
      checks.push(
        ipx === undefined ? undefined : lower ? ipx.median < target.abs : ipx.median >= target.abs,
      );
    }
    const known = checks.filter((c): c is boolean => c !== undefined);
    rows.push({
      workload,
      unit,
      ipx,
      ipp,
      ratio,
      target: parts.join(" & "),
      pass: checks.length === 0
        ? undefined
        : known.length < checks.length
        ? (known.every((c) => c) ? undefined : false)
        : known.every((c) => c),
    });
  };
  const n = s.numbers.toLocaleString("en-US");
  cmp("w1 apply round trip, 1 engine", "apply rtt", "µs", true, { ratio: 14 });
  cmp("w1   … ipx over TLS (--no-ipc)", "apply rtt", "µs", true, undefined, "ipx-tls");
  cmp("w1   … ipx over TCP (--no-ipc --no-tls)", "apply rtt", "µs", true, undefined, "ipx-notls");
  // ipx vs the floor
  const floorLat = get("floor latency", "floor");
  const rtt = get("apply rtt", "ipx");
  if (floorLat && rtt) {
    const x = rtt.median / floorLat.median;
    rows.push({
      workload: "w1   … ipx vs floor (× floor)",
      unit: "µs",
      ipx: rtt,
      ipp: undefined,
      ratio: undefined,
      target: "≤3× floor",
      pass: x <= 3,
      note: `floor ${fmtNum(floorLat.median)} µs → ipx is ${x.toFixed(1)}× floor`,
    });
  }
  cmp(`w2 LB map, chunksize 1 (${s.lbTasks})`, "lb map", "tasks/s", false, {
    ratio: 100,
    abs: 25_000,
  });
  cmp(`w2 LB apply burst (${s.lbTasks})`, "lb apply burst", "tasks/s", false, {
    ratio: 100,
    abs: 25_000,
  });
  cmp(`w2   … ipx with hwm 0 (no limit)`, "lb apply burst hwm0", "tasks/s", false, undefined);
  cmp(`w2   … ipx with hwm 2 (fixed)`, "lb apply burst hwm2", "tasks/s", false, undefined);
  cmp(
    `w2   … ipx apply burst over TLS (--no-ipc)`,
    "lb apply burst",
    "tasks/s",
    false,
    undefined,
    "ipx-tls",
  );
  const floorThr = get("floor throughput", "floor");
  const lbThr = get("lb apply burst", "ipx");
  if (floorThr && lbThr) {
    rows.push({
      workload: "w2   … ipx vs floor 64-in-flight",
      unit: "tasks/s",
      ipx: lbThr,
      ipp: undefined,
      ratio: undefined,
      target: "",
      pass: undefined,
      note: `floor ${fmtNum(floorThr.median)} req/s → ipx reaches ${
        (100 * lbThr.median / floorThr.median).toFixed(1)
      }% of it`,
    });
  }
  cmp("w3 execute on all (2 engines)", "execute all", "µs", true, { ratio: 20 });
  // the local cluster's Unix socket carries no TLS, so the "without TLS" target applies
  cmp(`w4 push ${s.mb} MiB/engine, local socket`, "push", "MB/s", false, { abs: 1000 });
  cmp(`w4 pull ${s.mb} MiB/engine, local socket`, "pull", "MB/s", false, { abs: 1000 });
  cmp(`w4 push ${s.mb} MiB/engine, TLS`, "push", "MB/s", false, { abs: 500 }, "ipx-tls");
  cmp(`w4 pull ${s.mb} MiB/engine, TLS`, "pull", "MB/s", false, { abs: 500 }, "ipx-tls");
  cmp(`w4 push ${s.mb} MiB/engine, TCP no TLS`, "push", "MB/s", false, { abs: 1000 }, "ipx-notls");
  cmp(`w4 pull ${s.mb} MiB/engine, TCP no TLS`, "pull", "MB/s", false, { abs: 1000 }, "ipx-notls");
  cmp(`w4   … push, history in memory (--no-db)`, "push", "MB/s", false, undefined, "ipx-nodb");
  cmp(`w4   … pull, history in memory (--no-db)`, "pull", "MB/s", false, undefined, "ipx-nodb");
  // ipyparallel with plain bytes instead of numpy arrays: rows only where it was measured
  for (const dir of ["push", "pull"] as const) {
    if (get(dir, "ipp-bytes")) {
      cmp(`w4   … ${dir} vs ipp bytes`, dir, "MB/s", false, undefined, "ipx", "ipp-bytes");
    }
  }
  cmp(`w5 scatter+gather ${n} (array/list)`, "scatter+gather list", "ms", true, { ratio: 8 });
  cmp(`w5 scatter+gather ${n} (f64/numpy)`, "scatter+gather typed", "ms", true, { ratio: 8 });
  cmp("w6 start → 4 engines registered", "start 4 engines", "s", true, {
    abs: 1,
    absText: "<1 s",
  });
  cmp(`w7 start ${s.big} engines`, `start ${s.big} engines`, "s", true);
  cmp(`w7 apply on all ${s.big} engines`, `apply all ${s.big}`, "µs", true);
  cmp("w8 engine RSS, idle", "rss idle", "MB", true);
  cmp("w8 engine RSS, after w2", "rss after w2", "MB", true);
  cmp(`w8 engine RSS, idle, ${s.big} engines`, `rss idle, ${s.big} engines`, "MB", true);
  const nanny = get("rss idle (+nanny)", "ipp");
  const nannyAfter = get("rss after w2 (+nanny)", "ipp");
  if (nanny) {
    rows.push({
      workload: "w8   … ipp engine + its nanny process",
      unit: "MB",
      ipx: get("rss idle", "ipx"),
      ipp: nanny,
      ratio: better(get("rss idle", "ipx"), nanny, true),
      target: "",
      pass: undefined,
      note: nannyAfter ? `after w2: ${fmtNum(nannyAfter.median)} MB` : undefined,
    });
  }
  return rows;
}

/**
 * The human report: the table, the floor, the w6 detail and the first error of each figure
 * that failed.
 *
 * @param s The run's settings.
 * @param rows The rows from {@linkcode buildRows}.
 * @param figures What was measured.
 */
export function renderReport(s: Settings, rows: Row[], figures: Figures): string {
  const get = (metric: string, system: System) => figures.get(metric, system);
  const lines: string[] = [];
  lines.push("");
  lines.push(
    `ipx vs ipyparallel — medians of ${s.reps} repetitions (w2, w6: ${s.slowReps}; ` +
      `±: half the min–max range); ratio = how many times better ipx is`,
  );
  lines.push("");
  lines.push(textTable(
    ["workload", "unit", "ipx", "ipyparallel", "ratio", "target", "result"],
    rows.map((r) => [
      r.workload,
      r.unit,
      r.ipx ? fmtSummary(r.ipx) : "—",
      r.ipp ? fmtSummary(r.ipp) : "—",
      r.ratio === undefined ? "" : `${r.ratio >= 10 ? r.ratio.toFixed(0) : r.ratio.toFixed(1)}×`,
      r.target,
      r.pass === undefined
        ? (r.note ?? "")
        : `${r.pass ? "PASS" : "MISS"}${r.note ? `  ${r.note}` : ""}`,
    ]),
    [false, false, true, true, true, false, false],
  ));
  const floor = ["floor", "floor-thread"] as const;
  const fl = floor.map((sys) => [sys, get("floor latency", sys), get("floor throughput", sys)]);
  if (fl.some(([, a, b]) => a || b)) {
    lines.push("");
    lines.push("floor (raw TCP client → middle → worker, ipx framing + codec, no ipx logic):");
    for (const [sys, lat, thr] of fl) {
      if (!lat && !thr) continue;
      lines.push(
        `  ${sys === "floor" ? "plain                " : "+ Worker-thread hop  "}` +
          `1-in-flight ${lat ? fmtSummary(lat as Summary) : "—"} µs/round trip, ` +
          `64-in-flight ${thr ? fmtSummary(thr as Summary) : "—"} req/s`,
      );
    }
  }
  const ready = get("start 4 engines (ready line)", "ipx");
  if (ready) {
    lines.push(
      `w6 detail: ipx prints "cluster ready" after ${fmtSummary(ready)} s; the row adds a new ` +
        `client connecting and seeing all 4 engines (ipyparallel: start_and_connect + wait)`,
    );
  }
  const errors = figures.all().filter((f) => f.errors.length > 0);
  if (errors.length) {
    lines.push("");
    lines.push("errors:");
    for (const f of errors) {
      lines.push(`  ${f.metric} (${f.system}): ${f.errors[0]!.split("\n")[0]}`);
    }
  }
  return lines.join("\n");
}
