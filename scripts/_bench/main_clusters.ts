/**
 * The bench's 2-engine clusters, shared by w1–w5 and w8: ipx's local cluster (Unix socket),
 * ipx over TLS and over plain TCP (`--no-ipc`), ipx with its history in memory, and
 * ipyparallel's; which of them a run starts depends on the workloads wanted. Also w8's idle
 * memory reading, taken right after they start.
 *
 * @module
 */

import type { Client } from "../../mod.ts";
import type { BenchContext } from "./context.ts";
import type { System } from "./figures.ts";
import { type ClusterRecord, startDaemonCluster, stopCluster } from "./ipx_cluster.ts";
import { ippRss, meanRssMb, sleep } from "./readings.ts";

/** One started ipx cluster and its connected client. */
export interface Main {
  /** Connected client. */
  client: Client;
  /** What `ipx cluster start` recorded (pids). */
  record: ClusterRecord;
}

/** The 2-engine clusters of a run; each undefined when not started. */
export interface MainClusters {
  /** ipx's local cluster (TLS over its Unix socket): the one measured as `ipx`. */
  tls: Main | undefined;
  /** ipx over plain TCP (`--no-ipc --no-tls`): `ipx-notls`. */
  plain: Main | undefined;
  /** ipx over TLS on TCP (`--no-ipc`): `ipx-tls`. */
  tlsNet: Main | undefined;
  /** ipx's local cluster with its history in memory (no result files): `ipx-nodb`. */
  noDb: Main | undefined;
  /** Whether ipyparallel's `main` cluster started. */
  ippMain: boolean;
}

/**
 * Starts the clusters the wanted workloads need (none unless one of w1–w5, w8 is wanted), then
 * takes w8's idle memory reading (when wanted).
 *
 * @param ctx The run's context; the clusters are added to its profiles and cleanups.
 * @returns The clusters.
 */
export async function startMainClusters(ctx: BenchContext): Promise<MainClusters> {
  const { want, log, ipp, ipxProfiles, cleanups } = ctx;
  const main: MainClusters = {
    tls: undefined,
    plain: undefined,
    tlsNet: undefined,
    noDb: undefined,
    ippMain: false,
  };
  if (!mainNeeded(ctx)) return main;
  log(
    "\n== starting clusters: ipx (local cluster default: Unix socket), ipx over TLS " +
      "(--no-ipc), ipx over plain TCP (--no-ipc --no-tls), ipyparallel; 2 engines each",
  );
  ipxProfiles.add("bench-tls");
  const tls = main.tls = await startDaemonCluster("bench-tls", 2, true);
  cleanups.push(() => tls.client.close());
  if (want("w4") || want("w1")) {
    ipxProfiles.add("bench-tlsnet");
    const tlsNet = main.tlsNet = await startDaemonCluster("bench-tlsnet", 2, true, false);
    cleanups.push(() => tlsNet.client.close());
    ipxProfiles.add("bench-plain");
    const plain = main.plain = await startDaemonCluster("bench-plain", 2, false, false);
    cleanups.push(() => plain.client.close());
  }
  if (want("w4")) {
    // history in memory, as ipyparallel keeps it: no result files written
    ipxProfiles.add("bench-nodb");
    const noDb = main.noDb = await startDaemonCluster("bench-nodb", 2, true, true, false);
    cleanups.push(() => noDb.client.close());
  }
  if (ipp) {
    try {
      await ipp.call("start", { name: "main", n: 2 });
      main.ippMain = true;
    } catch (error) {
      log(`bench: ipyparallel cluster did not start: ${(error as Error).message}`);
    }
  }
  await sleep(1000);
  if (want("w8")) {
    log("\n== w8: engine memory, idle");
    await measureEngineRss(ctx, main, "rss idle");
  }
  return main;
}

/**
 * Whether the run needs the 2-engine clusters (one of w1–w5, w8 is wanted).
 *
 * @param ctx The run's context.
 */
export function mainNeeded(ctx: BenchContext): boolean {
  return ["w1", "w2", "w3", "w4", "w5", "w8"].some((w) => ctx.want(w));
}

/**
 * Whether ipyparallel's side of the 2-engine workloads runs.
 *
 * @param ctx The run's context.
 * @param main The clusters.
 */
export function ippOk(ctx: BenchContext, main: MainClusters): boolean {
  return ctx.ipp !== undefined && main.ippMain;
}

/**
 * w8: the mean RSS of the local cluster's engines, and of ipyparallel's (alone and with its
 * nanny process) when its cluster runs.
 *
 * @param ctx The run.
 * @param main The clusters (the local one must have started).
 * @param metric The figure's name, e.g. `rss idle`; ipyparallel's with nannies gets ` (+nanny)`.
 */
export async function measureEngineRss(
  ctx: BenchContext,
  main: MainClusters,
  metric: string,
): Promise<void> {
  const { measure, ipp } = ctx;
  const pids = main.tls!.record.enginePids;
  await measure(metric, "ipx", "MB", () => Promise.resolve(meanRssMb(pids)));
  if (!ippOk(ctx, main)) return;
  await measure(metric, "ipp", "MB", async () => ippRss(await ipp!.call("rss"), "rss_kb"));
  await measure(
    `${metric} (+nanny)`,
    "ipp",
    "MB",
    async () => ippRss(await ipp!.call("rss"), "tree_kb"),
  );
}

/**
 * The ipx clusters measured by w1 (and warmed up): the local cluster, and with `withPlain` the
 * TCP ones that were started.
 *
 * @param main The clusters (the local one must have started).
 * @param withPlain Also the `--no-ipc` clusters.
 * @returns Each cluster with the system it is recorded as.
 */
export function ipxSystems(main: MainClusters, withPlain: boolean): Array<[System, Main]> {
  return [
    ["ipx", main.tls!],
    ...(withPlain && main.tlsNet ? [["ipx-tls", main.tlsNet] as [System, Main]] : []),
    ...(withPlain && main.plain ? [["ipx-notls", main.plain] as [System, Main]] : []),
  ];
}

/**
 * The systems of w4: those of w1, and the local cluster with its history in memory.
 *
 * @param main The clusters.
 * @returns Each cluster with the system it is recorded as.
 */
export function bulkSystems(main: MainClusters): Array<[System, Main]> {
  return [
    ...ipxSystems(main, true),
    ...(main.noDb ? [["ipx-nodb", main.noDb] as [System, Main]] : []),
  ];
}

/**
 * Stops the 2-engine clusters (w6 and w7 want the machine to themselves): closes the clients,
 * stops every ipx cluster still running and ipyparallel's `main`.
 *
 * @param ctx The run's context; its cleanups and profiles are emptied.
 * @param main The clusters.
 */
export async function stopMainClusters(ctx: BenchContext, main: MainClusters): Promise<void> {
  const { ipp, ipxProfiles, cleanups } = ctx;
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  for (const p of [...ipxProfiles]) {
    await stopCluster(p);
    ipxProfiles.delete(p);
  }
  if (main.ippMain) await ipp!.call("stop", { name: "main" }).catch(() => {});
}
