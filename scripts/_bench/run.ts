/**
 * One bench run, section by section in a fixed order: the floor, the 2-engine clusters (with
 * w8's idle reading), the warm-up, w1/w3/w4/w5, w2 (and w8 after it), then — with the 2-engine
 * clusters stopped — w6 and w7. It starts ipyparallel's driver when asked and available, and
 * stops every cluster at the end or on Ctrl-C.
 *
 * @module
 */

import type { BenchContext } from "./context.ts";
import { findPython, IPP_INSTALL_HINT, IppDriver } from "./ipp.ts";
import { stopCluster } from "./ipx_cluster.ts";
import { startMainClusters, stopMainClusters } from "./main_clusters.ts";
import { loadAverage } from "./readings.ts";
import type { Recorder } from "./recorder.ts";
import { runFloor } from "./section_floor.ts";
import { runW1ToW5 } from "./section_w1_w5.ts";
import { runW2 } from "./section_w2.ts";
import { runW6 } from "./section_w6.ts";
import { runW7 } from "./section_w7.ts";
import { warmUp } from "./section_warmup.ts";
import type { Settings } from "./settings.ts";

/**
 * Runs the wanted workloads, recording their figures.
 *
 * @param s The settings.
 * @param rec Where figures and progress lines go.
 * @returns The run's metadata (machine, versions, sizes, ipyparallel's versions) for the JSON.
 */
export async function run(s: Settings, rec: Recorder): Promise<Record<string, unknown>> {
  const { log } = rec;
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

  const ctx: BenchContext = {
    ...rec,
    s,
    want: (w) => !s.only || s.only.has(w),
    ipp,
    ipxProfiles: new Set<string>(),
    cleanups: [],
  };
  const cleanup = async () => {
    for (const c of ctx.cleanups.splice(0).reverse()) await c().catch(() => {});
    for (const p of ctx.ipxProfiles) await stopCluster(p);
    await ipp?.close();
  };
  const onSignal = () => {
    log("bench: interrupted; stopping clusters");
    void cleanup().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);

  try {
    await runFloor(ctx);
    const main = await startMainClusters(ctx);
    await warmUp(ctx, main);
    await runW1ToW5(ctx, main);
    await runW2(ctx, main);
    // w6 and w7 want the machine to themselves
    await stopMainClusters(ctx, main);
    await runW6(ctx);
    await runW7(ctx);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await cleanup();
  }
  return meta;
}
