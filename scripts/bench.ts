/**
 * The ipx benchmark (`deno task bench`): ipx against ipyparallel on the same machine, the same
 * workloads, interleaved, several repetitions; median and spread of each figure; a table with
 * ratios, the targets and pass/miss; and the raw-TCP floor (`scripts/bench_floor.ts`).
 *
 * ```text
 * deno task bench                 # full run (several minutes)
 * deno task bench --quick         # smoke run: fewer repetitions, smaller workloads
 * deno task bench --json out.json # also write machine-readable results (--json alone: stdout,
 *                                 # and the human output goes to stderr)
 * deno task bench --no-ipp        # ipx only
 * deno task bench --reps 3 --big 32 --only w1,w2
 * ```
 *
 * ipyparallel is used when some `python3` can `import ipyparallel` (`$IPX_BENCH_PYTHON`,
 * `python3`, `/usr/bin/python3`); otherwise the script says how to install it and runs ipx
 * alone. Both systems run in a private temp dir (`IPX_DIR`, `IPYTHONDIR`).
 *
 * Workloads (2 engines unless stated): w1 apply round trip on one engine; w2 5,000 load-balanced
 * tasks via `map` (chunksize 1) and via a burst of `apply`s; w3 execute on all engines; w4 push
 * then pull 16 MiB per engine, ipx over its local socket (the default for a local cluster), over
 * TLS and over plain TCP (both `--no-ipc`, as for engines on other machines); w5 scatter + gather of 1,000,000
 * numbers (JS array vs Python list, Float64Array vs numpy); w6 cluster start to 4 engines
 * registered; w7 `--big` engines (64): start, and apply on all; w8 engine RSS idle and after w2.
 * ipx timings are taken in this process (the ipx client), ipyparallel's in its Python client.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { Client } from "../mod.ts";
import { allocatorEnv, DEFAULT_GLIBC_TUNABLES } from "../lib/engine/allocator_env.ts";
import { FloorPipeline } from "./bench_floor.ts";
import { findPython, IPP_INSTALL_HINT, IppDriver, type IppReply } from "./_bench/ipp.ts";
import {
  type ClusterRecord,
  rssKb,
  startDaemonCluster,
  stopCluster,
  timeForegroundCluster,
} from "./_bench/ipx_cluster.ts";
import * as W from "./_bench/ipx_workloads.ts";
import { Figures, type System } from "./_bench/figures.ts";
import { buildRows, renderReport } from "./_bench/report.ts";
import { parseSettings, type Settings, USAGE } from "./_bench/settings.ts";
import { fmtNum, summarize } from "./_bench/stats.ts";

// ---------------------------------------------------------------------------------------------
// Results

const figures = new Figures();

function record(metric: string, system: System, unit: string, value: number): void {
  figures.record(metric, system, unit, value);
}

function recordError(metric: string, system: System, unit: string, error: unknown): void {
  const message = figures.recordError(metric, system, unit, error);
  log(`  ! ${metric} on ${system} failed: ${message.split("\n")[0]}`);
}

let out: (line: string) => void = (line) => console.log(line);
function log(line: string): void {
  console.error(line);
}

/**
 * Runs one measurement, recording its value(s) or its error.
 *
 * @param metric The figure's name.
 * @param system Which system.
 * @param unit Unit of the recorded value.
 * @param fn Produces the value (or several named values to record under `metric:name`).
 */
async function measure(
  metric: string,
  system: System,
  unit: string,
  fn: () => Promise<number>,
): Promise<number | undefined> {
  try {
    const v = await fn();
    record(metric, system, unit, v);
    log(`  ${metric.padEnd(28)} ${system.padEnd(10)} ${fmtNum(v)} ${unit}`);
    return v;
  } catch (error) {
    recordError(metric, system, unit, error);
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

const MB = 1e6;

function perCallUs(seconds: number, calls: number): number {
  return seconds / calls * 1e6;
}

function meanRssMb(pids: number[]): number {
  const kb = pids.map(rssKb).filter((v) => v > 0);
  if (kb.length === 0) throw new Error("no engine process found");
  return kb.reduce((a, b) => a + b, 0) / kb.length / 1024;
}

function num(reply: IppReply, key: string): number {
  const v = reply[key];
  if (typeof v !== "number") throw new Error(`ipyparallel reply lacks ${key}`);
  return v;
}

function ippRss(reply: IppReply, key: "rss_kb" | "tree_kb"): number {
  const engines = reply.engines as Array<Record<string, number>>;
  const kb = engines.map((e) => e[key]!).filter((v) => v > 0);
  if (kb.length === 0) throw new Error("no ipyparallel engine process found");
  return kb.reduce((a, b) => a + b, 0) / kb.length / 1024;
}

/** The 1-minute load average (other work on the machine skews every figure). */
function loadAverage(): number | undefined {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// The run

interface Main {
  client: Client;
  record: ClusterRecord;
}

async function run(s: Settings): Promise<Record<string, unknown>> {
  const want = (w: string) => !s.only || s.only.has(w);
  const meta: Record<string, unknown> = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    cpus: navigator.hardwareConcurrency,
    loadAverageAtStart: loadAverage(),
    quick: s.quick,
    reps: s.reps,
    slowReps: s.slowReps,
    sizes: {
      rttCalls: s.rttCalls,
      execCalls: s.execCalls,
      lbTasks: s.lbTasks,
      mib: s.mb,
      numbers: s.numbers,
      big: s.big,
    },
  };

  // ipyparallel
  let ipp: IppDriver | undefined;
  if (s.ipp) {
    const python = await findPython();
    if (!python) {
      log(`bench: ${IPP_INSTALL_HINT}`);
      meta.ipp = "not installed";
    } else {
      ipp = await IppDriver.start(python, `${Deno.env.get("IPX_DIR")}/ipp-driver.log`);
      const hello = await ipp.call("hello");
      const { ok: _ok, ...versions } = hello;
      meta.ipp = { interpreter: python, ...versions };
      log(`bench: ipyparallel ${hello.ipyparallel} (python ${hello.python} at ${python})`);
    }
  } else meta.ipp = "disabled (--no-ipp)";

  const ipxProfiles = new Set<string>();
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
    for (const p of ipxProfiles) await stopCluster(p);
    await ipp?.close();
  };
  const onSignal = () => {
    log("bench: interrupted; stopping clusters");
    void cleanup().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);

  try {
    // ------------------------------------------------------------------ floor
    if (want("floor") || want("w1") || want("w2")) {
      log("\n== floor: raw TCP, same framing and codec, no ipx logic");
      for (const [system, thread] of [["floor", false], ["floor-thread", true]] as const) {
        let floor: FloorPipeline | undefined;
        try {
          floor = await FloorPipeline.start({ thread });
          await floor.latency(200);
          await floor.throughput(2000, 64);
          for (let r = 0; r < s.reps; r++) {
            await measure("floor latency", system, "µs", () => floor!.latency(s.floorCalls));
            await measure(
              "floor throughput",
              system,
              "req/s",
              () => floor!.throughput(s.floorTasks, 64),
            );
          }
        } catch (error) {
          recordError("floor latency", system, "µs", error);
        } finally {
          await floor?.close();
        }
      }
    }

    // ------------------------------------------------------------------ main clusters
    const mainNeeded = ["w1", "w2", "w3", "w4", "w5", "w8"].some(want);
    let tls: Main | undefined;
    let plain: Main | undefined;
    let tlsNet: Main | undefined;
    let noDb: Main | undefined;
    let ippMain = false;
    if (mainNeeded) {
      log(
        "\n== starting clusters: ipx (local cluster default: Unix socket), ipx over TLS " +
          "(--no-ipc), ipx over plain TCP (--no-ipc --no-tls), ipyparallel; 2 engines each",
      );
      ipxProfiles.add("bench-tls");
      tls = await startDaemonCluster("bench-tls", 2, true);
      cleanups.push(() => tls!.client.close());
      if (want("w4") || want("w1")) {
        ipxProfiles.add("bench-tlsnet");
        tlsNet = await startDaemonCluster("bench-tlsnet", 2, true, false);
        cleanups.push(() => tlsNet!.client.close());
        ipxProfiles.add("bench-plain");
        plain = await startDaemonCluster("bench-plain", 2, false, false);
        cleanups.push(() => plain!.client.close());
      }
      if (want("w4")) {
        // history in memory, as ipyparallel keeps it: no result files written
        ipxProfiles.add("bench-nodb");
        noDb = await startDaemonCluster("bench-nodb", 2, true, true, false);
        cleanups.push(() => noDb!.client.close());
      }
      if (ipp) {
        try {
          await ipp.call("start", { name: "main", n: 2 });
          ippMain = true;
        } catch (error) {
          log(`bench: ipyparallel cluster did not start: ${(error as Error).message}`);
        }
      }
      await sleep(1000);
      if (want("w8")) {
        log("\n== w8: engine memory, idle");
        await measure(
          "rss idle",
          "ipx",
          "MB",
          () => Promise.resolve(meanRssMb(tls!.record.enginePids)),
        );
        if (ippMain) {
          await measure(
            "rss idle",
            "ipp",
            "MB",
            async () => ippRss(await ipp!.call("rss"), "rss_kb"),
          );
          await measure(
            "rss idle (+nanny)",
            "ipp",
            "MB",
            async () => ippRss(await ipp!.call("rss"), "tree_kb"),
          );
        }
      }
    }
    const ippOk = () => ipp !== undefined && ippMain;
    const ipxSystems = (withPlain: boolean): Array<[System, Main]> => [
      ["ipx", tls!],
      ...(withPlain && tlsNet ? [["ipx-tls", tlsNet] as [System, Main]] : []),
      ...(withPlain && plain ? [["ipx-notls", plain] as [System, Main]] : []),
    ];
    /** The systems of w4: also the local cluster with its history in memory. */
    const bulkSystems = (): Array<[System, Main]> => [
      ...ipxSystems(true),
      ...(noDb ? [["ipx-nodb", noDb] as [System, Main]] : []),
    ];

    // ------------------------------------------------------------------ warm-up
    if (mainNeeded) {
      log("\n== warm-up (not recorded)");
      for (const [, m] of ipxSystems(true)) {
        await W.applyRtt(m.client, 50);
        await W.executeAll(m.client, 10);
        await W.lbApply(m.client, 200);
        // at the measured size, on both systems: the first big buffers are fresh memory
        if (want("w4")) await W.pushPull(m.client, s.mb, 2);
        await W.scatterGather(m.client, 10_000, "list");
      }
      if (noDb) await W.pushPull(noDb.client, s.mb, 2);
      if (ippOk()) {
        await ipp!.call("apply_rtt", { n: 20 });
        await ipp!.call("execute_all", { n: 5 });
        await ipp!.call("lb_apply", { n: 50 });
        if (want("w4")) {
          for (const kind of ["numpy", "bytes"]) {
            await ipp!.call("pushpull", { mb: s.mb, kind, times: 2 }).catch(() => {});
          }
        }
        await ipp!.call("scatter_gather", { n: 10_000, kind: "list" });
      }
    }

    // ------------------------------------------------------------------ w1, w3, w4, w5
    if (["w1", "w3", "w4", "w5"].some(want)) {
      for (let r = 0; r < s.reps; r++) {
        log(`\n== w1/w3/w4/w5 repetition ${r + 1}/${s.reps}`);
        const ippFirst = r % 2 === 1; // alternate who goes first
        const steps: Array<{ ipx: () => Promise<void>; ipp: () => Promise<void> }> = [];
        if (want("w1")) {
          steps.push({
            ipx: async () => {
              for (const [sys, m] of ipxSystems(true)) {
                await measure(
                  "apply rtt",
                  sys,
                  "µs",
                  async () => perCallUs(await W.applyRtt(m.client, s.rttCalls), s.rttCalls),
                );
              }
            },
            ipp: async () => {
              await measure(
                "apply rtt",
                "ipp",
                "µs",
                async () =>
                  perCallUs(
                    num(await ipp!.call("apply_rtt", { n: s.rttCalls }), "seconds"),
                    s.rttCalls,
                  ),
              );
            },
          });
        }
        if (want("w3")) {
          steps.push({
            ipx: async () => {
              await measure(
                "execute all",
                "ipx",
                "µs",
                async () => perCallUs(await W.executeAll(tls!.client, s.execCalls), s.execCalls),
              );
            },
            ipp: async () => {
              await measure(
                "execute all",
                "ipp",
                "µs",
                async () =>
                  perCallUs(
                    num(await ipp!.call("execute_all", { n: s.execCalls }), "seconds"),
                    s.execCalls,
                  ),
              );
            },
          });
        }
        if (want("w4")) {
          steps.push({
            ipx: async () => {
              for (const [sys, m] of bulkSystems()) {
                try {
                  const pp = await W.pushPull(m.client, s.mb, s.bigTimes);
                  record("push", sys, "MB/s", pp.bytes / pp.push / MB);
                  record("pull", sys, "MB/s", pp.bytes / pp.pull / MB);
                  log(
                    `  push/pull ${s.mb} MiB/engine     ${sys.padEnd(10)} push ${
                      fmtNum(pp.bytes / pp.push / MB)
                    } MB/s, pull ${fmtNum(pp.bytes / pp.pull / MB)} MB/s`,
                  );
                } catch (error) {
                  recordError("push", sys, "MB/s", error);
                }
              }
            },
            ipp: async () => {
              for (const [sys, kind] of [["ipp", "numpy"], ["ipp-bytes", "bytes"]] as const) {
                try {
                  const pp = await ipp!.call("pushpull", { mb: s.mb, kind, times: s.bigTimes });
                  const bytes = num(pp, "bytes");
                  record("push", sys, "MB/s", bytes / num(pp, "push") / MB);
                  record("pull", sys, "MB/s", bytes / num(pp, "pull") / MB);
                  log(
                    `  push/pull ${s.mb} MiB/engine     ${sys.padEnd(10)} push ${
                      fmtNum(bytes / num(pp, "push") / MB)
                    } MB/s, pull ${fmtNum(bytes / num(pp, "pull") / MB)} MB/s`,
                  );
                } catch (error) {
                  recordError("push", sys, "MB/s", error);
                }
              }
            },
          });
        }
        if (want("w5")) {
          for (const kind of ["list", "typed"] as const) {
            const metric = `scatter+gather ${kind}`;
            steps.push({
              ipx: async () => {
                await measure(
                  metric,
                  "ipx",
                  "ms",
                  async () => (await W.scatterGather(tls!.client, s.numbers, kind)).seconds * 1000,
                );
              },
              ipp: async () => {
                await measure(metric, "ipp", "ms", async () =>
                  num(
                    await ipp!.call("scatter_gather", {
                      n: s.numbers,
                      kind: kind === "list" ? "list" : "numpy",
                    }),
                    "seconds",
                  ) * 1000);
              },
            });
          }
        }
        for (const step of steps) {
          if (ippFirst && ippOk()) await step.ipp();
          await step.ipx();
          if (!ippFirst && ippOk()) await step.ipp();
        }
      }
    }

    // ------------------------------------------------------------------ w2
    if (want("w2")) {
      for (let r = 0; r < s.slowReps; r++) {
        log(`\n== w2: ${s.lbTasks} load-balanced tasks, repetition ${r + 1}/${s.slowReps}`);
        const ippFirst = r % 2 === 1;
        const ippSide = async () => {
          if (!ippOk()) return;
          await measure(
            "lb map",
            "ipp",
            "tasks/s",
            async () =>
              s.lbTasks / num(await ipp!.call("lb_map", { n: s.lbTasks, chunksize: 1 }), "seconds"),
          );
          await measure(
            "lb apply burst",
            "ipp",
            "tasks/s",
            async () => s.lbTasks / num(await ipp!.call("lb_apply", { n: s.lbTasks }), "seconds"),
          );
        };
        if (ippFirst) await ippSide();
        await measure(
          "lb map",
          "ipx",
          "tasks/s",
          async () => s.lbTasks / await W.lbMap(tls!.client, s.lbTasks),
        );
        await measure(
          "lb apply burst",
          "ipx",
          "tasks/s",
          async () => s.lbTasks / await W.lbApply(tls!.client, s.lbTasks),
        );
        await measure(
          "lb apply burst hwm0",
          "ipx",
          "tasks/s",
          async () => s.lbTasks / await W.lbApply(tls!.client, s.lbTasks, 0),
        );
        await measure(
          "lb apply burst hwm2",
          "ipx",
          "tasks/s",
          async () => s.lbTasks / await W.lbApply(tls!.client, s.lbTasks, 2),
        );
        if (tlsNet) {
          await measure(
            "lb apply burst",
            "ipx-tls",
            "tasks/s",
            async () => s.lbTasks / await W.lbApply(tlsNet!.client, s.lbTasks),
          );
        }
        if (!ippFirst) await ippSide();
      }
      if (want("w8")) {
        log("\n== w8: engine memory after w2");
        await measure(
          "rss after w2",
          "ipx",
          "MB",
          () => Promise.resolve(meanRssMb(tls!.record.enginePids)),
        );
        if (ippOk()) {
          await measure(
            "rss after w2",
            "ipp",
            "MB",
            async () => ippRss(await ipp!.call("rss"), "rss_kb"),
          );
          await measure(
            "rss after w2 (+nanny)",
            "ipp",
            "MB",
            async () => ippRss(await ipp!.call("rss"), "tree_kb"),
          );
        }
      }
    }

    // stop the 2-engine clusters: w6 and w7 want the machine to themselves
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
    for (const p of [...ipxProfiles]) {
      await stopCluster(p);
      ipxProfiles.delete(p);
    }
    if (ippMain) await ipp!.call("stop", { name: "main" }).catch(() => {});

    // ------------------------------------------------------------------ w6
    if (want("w6")) {
      for (let r = 0; r < s.slowReps; r++) {
        log(`\n== w6: cluster start to 4 engines registered, repetition ${r + 1}/${s.slowReps}`);
        const ippSide = async () => {
          if (!ipp) return;
          await measure("start 4 engines", "ipp", "s", async () => {
            try {
              return num(await ipp!.call("start", { name: "start4", n: 4 }), "seconds");
            } finally {
              await ipp!.call("stop", { name: "start4" }).catch(() => {});
            }
          });
        };
        if (r % 2 === 1) await ippSide();
        const profile = `bench-start4-${r}`;
        ipxProfiles.add(profile);
        await measure("start 4 engines", "ipx", "s", async () => {
          const fg = await timeForegroundCluster(profile, 4, true);
          try {
            record("start 4 engines (ready line)", "ipx", "s", fg.readySeconds);
            return fg.clientSeconds;
          } finally {
            await fg.stop();
            ipxProfiles.delete(profile);
          }
        });
        if (r % 2 === 0) await ippSide();
      }
    }

    // ------------------------------------------------------------------ w7
    if (want("w7")) {
      log(`\n== w7: ${s.big} engines`);
      const profile = "bench-big";
      ipxProfiles.add(profile);
      try {
        const fg = await timeForegroundCluster(profile, s.big, true, 300_000);
        try {
          record(`start ${s.big} engines`, "ipx", "s", fg.clientSeconds);
          log(`  start ${s.big} engines            ipx        ${fmtNum(fg.clientSeconds)} s`);
          await sleep(1000);
          await measure(
            `rss idle, ${s.big} engines`,
            "ipx",
            "MB",
            () => Promise.resolve(meanRssMb(fg.record.enginePids)),
          );
          await W.applyAll(fg.client, 10);
          for (let r = 0; r < s.reps; r++) {
            await measure(
              `apply all ${s.big}`,
              "ipx",
              "µs",
              async () => perCallUs(await W.applyAll(fg.client, s.bigCalls), s.bigCalls),
            );
          }
        } finally {
          await fg.stop();
        }
      } catch (error) {
        recordError(`apply all ${s.big}`, "ipx", "µs", error);
      }
      ipxProfiles.delete(profile);
      if (ipp) {
        try {
          const started = await ipp.call("start", { name: "big", n: s.big, timeout: 600 });
          record(`start ${s.big} engines`, "ipp", "s", num(started, "seconds"));
          log(
            `  start ${s.big} engines            ipp        ${fmtNum(num(started, "seconds"))} s`,
          );
          await sleep(1000);
          await measure(
            `rss idle, ${s.big} engines`,
            "ipp",
            "MB",
            async () => ippRss(await ipp!.call("rss", { name: "big" }), "rss_kb"),
          );
          await ipp.call("apply_all", { name: "big", n: 10 });
          for (let r = 0; r < s.reps; r++) {
            await measure(`apply all ${s.big}`, "ipp", "µs", async () =>
              perCallUs(
                num(await ipp!.call("apply_all", { name: "big", n: s.bigCalls }), "seconds"),
                s.bigCalls,
              ));
          }
        } catch (error) {
          recordError(`apply all ${s.big}`, "ipp", "µs", error);
        } finally {
          await ipp.call("stop", { name: "big" }).catch(() => {});
        }
      }
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await cleanup();
  }
  return meta;
}

// ---------------------------------------------------------------------------------------------

/**
 * ipx's processes run with its C-allocator default (`lib/engine/allocator_env.ts`: the launcher
 * and the engine supervisor set it); the client is this process, so when the default is not in
 * its environment yet, the bench runs itself again with it (ipyparallel's processes get the
 * environment without it: they run as installed).
 */
async function rerunWithAllocatorDefault(): Promise<number | undefined> {
  const env = Deno.env.toObject();
  const wanted = allocatorEnv(env);
  if (env.GLIBC_TUNABLES !== undefined || wanted.GLIBC_TUNABLES !== DEFAULT_GLIBC_TUNABLES) {
    return undefined;
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      fileURLToPath(new URL("../deno.json", import.meta.url)),
      "--allow-all",
      "--unstable-worker-options",
      fileURLToPath(import.meta.url),
      ...Deno.args,
    ],
    env: { GLIBC_TUNABLES: DEFAULT_GLIBC_TUNABLES },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

async function main(): Promise<number> {
  const rerun = await rerunWithAllocatorDefault();
  if (rerun !== undefined) return rerun;
  let s: Settings;
  try {
    s = parseSettings(Deno.args);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  if (s.help) {
    console.log(USAGE);
    return 0;
  }
  if (s.json === true) out = (line) => console.error(line);
  const own = !Deno.env.get("IPX_BENCH_DIR");
  const dir = Deno.env.get("IPX_BENCH_DIR") ?? await Deno.makeTempDir({ prefix: "ipx-bench-" });
  Deno.env.set("IPX_DIR", dir);
  log(
    `bench: ${s.quick ? "quick" : "full"} run; IPX_DIR=${dir}; ipx processes run with ` +
      `GLIBC_TUNABLES=${Deno.env.get("GLIBC_TUNABLES") ?? "(unset)"}`,
  );
  const load = loadAverage();
  if (load !== undefined && load > 0.5) {
    log(
      `bench: warning: the 1-minute load average is ${load} before starting; other work on ` +
        `this machine will skew the figures`,
    );
  }
  const t0 = performance.now();
  let meta: Record<string, unknown>;
  try {
    meta = await run(s);
  } finally {
    if (own && !s.keep) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  meta.seconds = (performance.now() - t0) / 1000;
  meta.loadAverageAtEnd = loadAverage();
  const rows = buildRows(s, figures);
  out(renderReport(s, rows, figures));
  out(
    `\nbench finished in ${fmtNum((performance.now() - t0) / 1000)} s; load average ` +
      `${meta.loadAverageAtStart ?? "?"} at start, ${meta.loadAverageAtEnd ?? "?"} at end ` +
      `(${meta.cpus} CPUs)`,
  );
  if (s.json !== undefined) {
    const doc = {
      meta,
      rows: rows.map((r) => ({
        workload: r.workload,
        unit: r.unit,
        ipx: r.ipx ?? null,
        ipp: r.ipp ?? null,
        ratio: r.ratio ?? null,
        target: r.target,
        pass: r.pass ?? null,
        note: r.note ?? null,
      })),
      figures: figures.all().map((f) => ({
        ...f,
        summary: f.samples.length ? summarize(f.samples) : null,
      })),
    };
    const text = JSON.stringify(doc, null, 2);
    if (s.json === true) console.log(text);
    else {
      await Deno.writeTextFile(s.json, text + "\n");
      log(`bench: wrote ${s.json}`);
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
