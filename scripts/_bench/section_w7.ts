/**
 * The bench's w7: a cluster of `s.big` engines (`--big`): start time, idle engine memory, and
 * `apply` on all engines (`s.reps` samples); ipx first, then ipyparallel.
 *
 * @module
 */

import type { BenchContext } from "./context.ts";
import { timeForegroundCluster } from "./ipx_cluster.ts";
import * as W from "./ipx_workloads.ts";
import { ippRss, meanRssMb, num, perCallUs, sleep } from "./readings.ts";
import { fmtNum } from "./stats.ts";

/**
 * Runs w7 (when wanted).
 *
 * @param ctx The run's context.
 */
export async function runW7(ctx: BenchContext): Promise<void> {
  if (!ctx.want("w7")) return;
  ctx.log(`\n== w7: ${ctx.s.big} engines`);
  await ipxSide(ctx);
  await ippSide(ctx);
}

async function ipxSide(ctx: BenchContext): Promise<void> {
  const { s, log, measure, record, recordError, ipxProfiles } = ctx;
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
}

async function ippSide(ctx: BenchContext): Promise<void> {
  const { s, log, measure, record, recordError, ipp } = ctx;
  if (!ipp) return;
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
      async () => ippRss(await ipp.call("rss", { name: "big" }), "rss_kb"),
    );
    await ipp.call("apply_all", { name: "big", n: 10 });
    for (let r = 0; r < s.reps; r++) {
      await measure(`apply all ${s.big}`, "ipp", "µs", async () =>
        perCallUs(
          num(await ipp.call("apply_all", { name: "big", n: s.bigCalls }), "seconds"),
          s.bigCalls,
        ));
    }
  } catch (error) {
    recordError(`apply all ${s.big}`, "ipp", "µs", error);
  } finally {
    await ipp.call("stop", { name: "big" }).catch(() => {});
  }
}
