/**
 * The bench's fast 2-engine workloads, `s.reps` repetitions: w1 apply round trip (ipx on each of
 * its clusters), w3 execute on all engines, w4 push then pull `s.mb` MiB per engine (ipx on each
 * cluster, ipyparallel with numpy arrays and with bytes), w5 scatter + gather of `s.numbers`
 * numbers (list, and typed array vs numpy). Each step runs on both systems before the next;
 * who goes first alternates by repetition.
 *
 * @module
 */

import type { BenchContext } from "./context.ts";
import * as W from "./ipx_workloads.ts";
import { bulkSystems, ippOk, ipxSystems, type MainClusters } from "./main_clusters.ts";
import { MB, num, perCallUs } from "./readings.ts";
import { fmtNum } from "./stats.ts";

/** One workload of a repetition, on each side. */
interface Step {
  ipx: () => Promise<void>;
  ipp: () => Promise<void>;
}

/**
 * Runs the repetitions of w1, w3, w4 and w5 (those wanted).
 *
 * @param ctx The run's context.
 * @param main The 2-engine clusters.
 */
export async function runW1ToW5(ctx: BenchContext, main: MainClusters): Promise<void> {
  const { s, want, log } = ctx;
  if (!["w1", "w3", "w4", "w5"].some((w) => want(w))) return;
  for (let r = 0; r < s.reps; r++) {
    log(`\n== w1/w3/w4/w5 repetition ${r + 1}/${s.reps}`);
    const ippFirst = r % 2 === 1; // alternate who goes first
    const steps: Step[] = [];
    if (want("w1")) steps.push(applyRttStep(ctx, main));
    if (want("w3")) steps.push(executeAllStep(ctx, main));
    if (want("w4")) steps.push(pushPullStep(ctx, main));
    if (want("w5")) {
      for (const kind of ["list", "typed"] as const) steps.push(scatterGatherStep(ctx, main, kind));
    }
    for (const step of steps) {
      if (ippFirst && ippOk(ctx, main)) await step.ipp();
      await step.ipx();
      if (!ippFirst && ippOk(ctx, main)) await step.ipp();
    }
  }
}

/**
 * Measures µs per call of an ipyparallel driver command that makes `n` calls in sequence.
 *
 * @param ctx The run (its ipyparallel driver must run).
 * @param metric The figure's name.
 * @param command The driver's command (it answers the seconds the calls took).
 * @param n Calls.
 */
async function ippPerCall(
  ctx: BenchContext,
  metric: string,
  command: string,
  n: number,
): Promise<void> {
  await ctx.measure(
    metric,
    "ipp",
    "µs",
    async () => perCallUs(num(await ctx.ipp!.call(command, { n }), "seconds"), n),
  );
}

/** w1: apply round trip on one engine. */
function applyRttStep(ctx: BenchContext, main: MainClusters): Step {
  const { s, measure } = ctx;
  return {
    ipx: async () => {
      for (const [sys, m] of ipxSystems(main, true)) {
        await measure(
          "apply rtt",
          sys,
          "µs",
          async () => perCallUs(await W.applyRtt(m.client, s.rttCalls), s.rttCalls),
        );
      }
    },
    ipp: () => ippPerCall(ctx, "apply rtt", "apply_rtt", s.rttCalls),
  };
}

/** w3: execute on all engines. */
function executeAllStep(ctx: BenchContext, main: MainClusters): Step {
  const { s, measure } = ctx;
  return {
    ipx: async () => {
      await measure(
        "execute all",
        "ipx",
        "µs",
        async () => perCallUs(await W.executeAll(main.tls!.client, s.execCalls), s.execCalls),
      );
    },
    ipp: () => ippPerCall(ctx, "execute all", "execute_all", s.execCalls),
  };
}

/** w4: push then pull `s.mb` MiB per engine, `s.bigTimes` times. */
function pushPullStep(ctx: BenchContext, main: MainClusters): Step {
  const { s, log, record, recordError, ipp } = ctx;
  return {
    ipx: async () => {
      for (const [sys, m] of bulkSystems(main)) {
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
  };
}

/** w5: scatter + gather of `s.numbers` numbers (ipyparallel's typed twin is numpy). */
function scatterGatherStep(
  ctx: BenchContext,
  main: MainClusters,
  kind: "list" | "typed",
): Step {
  const { s, measure, ipp } = ctx;
  const metric = `scatter+gather ${kind}`;
  return {
    ipx: async () => {
      await measure(
        metric,
        "ipx",
        "ms",
        async () => (await W.scatterGather(main.tls!.client, s.numbers, kind)).seconds * 1000,
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
  };
}
