/**
 * The benchmark workloads, ipx side. Each function runs one repetition against a connected
 * client and returns its figure(s); `scripts/bench_ipp.py` has the ipyparallel twin of each.
 *
 * @module
 */

import type { Client } from "../../mod.ts";

/**
 * Workload 1: `apply` of a trivial function on one engine, `n` times in sequence.
 *
 * @param client Connected client.
 * @param n Calls.
 * @returns Seconds for all calls.
 */
export async function applyRtt(client: Client, n: number): Promise<number> {
  const view = client.directView(client.ids[0]!);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await view.apply(() => 1);
  return (performance.now() - t0) / 1000;
}

/**
 * Workload 7: `apply` of a trivial function on every engine, `n` times in sequence.
 *
 * @param client Connected client.
 * @param n Calls.
 * @returns Seconds for all calls.
 */
export async function applyAll(client: Client, n: number): Promise<number> {
  const view = client.directView();
  const engines = client.ids.length;
  const t0 = performance.now();
  let r: number[] = [];
  for (let i = 0; i < n; i++) r = await view.apply(() => 1);
  const s = (performance.now() - t0) / 1000;
  if (r.length !== engines) throw new Error(`apply on all: ${r.length} results for ${engines}`);
  return s;
}

/**
 * Workload 3: `execute` on every engine (the `%px` path), `n` times in sequence.
 *
 * @param client Connected client.
 * @param n Calls.
 * @returns Seconds for all calls.
 */
export async function executeAll(client: Client, n: number): Promise<number> {
  const view = client.directView();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await view.execute("1 + 1");
  return (performance.now() - t0) / 1000;
}

/**
 * Workload 2a: `map` of the identity over `n` items, one item per task.
 *
 * @param client Connected client.
 * @param n Tasks.
 * @param hwm The view's high-water mark (undefined: ipx's default).
 * @returns Seconds until every result is back.
 */
export async function lbMap(client: Client, n: number, hwm?: number): Promise<number> {
  const lv = client.loadBalancedView(hwm === undefined ? {} : { hwm });
  const items = Array.from({ length: n }, (_, i) => i);
  const t0 = performance.now();
  const out = await lv.map((x: number) => x, items, { chunksize: 1 });
  const s = (performance.now() - t0) / 1000;
  if (out.length !== n || out[n - 1] !== n - 1) throw new Error("lb map returned wrong results");
  return s;
}

/**
 * Workload 2b: a burst of `n` load-balanced `apply` calls, then wait for all.
 *
 * @param client Connected client.
 * @param n Tasks.
 * @param hwm The view's high-water mark (undefined: ipx's default).
 * @returns Seconds until every result is back.
 */
export async function lbApply(client: Client, n: number, hwm?: number): Promise<number> {
  const lv = client.loadBalancedView(hwm === undefined ? {} : { hwm });
  const t0 = performance.now();
  const results = [];
  for (let i = 0; i < n; i++) results.push(lv.apply(() => 1));
  const out = await Promise.all(results);
  const s = (performance.now() - t0) / 1000;
  if (out.length !== n || out.some((v) => v !== 1)) throw new Error("lb apply: wrong results");
  return s;
}

/** Seconds of push then pull cycles (totals). */
export interface PushPull {
  /** Seconds spent pushing to every engine. */
  push: number;
  /** Seconds spent pulling from every engine. */
  pull: number;
  /** Bytes moved in each direction (all engines, all cycles). */
  bytes: number;
}

/**
 * Workload 4: push `mb` MiB of bytes (a `Uint8Array`) to every engine, then pull it back,
 * `times` times.
 *
 * @param client Connected client.
 * @param mb Mebibytes per engine.
 * @param times Push+pull cycles.
 * @returns Push and pull seconds (totals).
 */
export async function pushPull(client: Client, mb: number, times = 1): Promise<PushPull> {
  const view = client.directView();
  const size = mb * 1024 * 1024;
  const buf = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(buf.subarray(i, i + 65536));
  let push = 0;
  let pull = 0;
  let bytes = 0;
  for (let k = 0; k < times; k++) {
    const t0 = performance.now();
    await view.push({ buf });
    const t1 = performance.now();
    const back = await view.pull("buf") as Uint8Array[];
    const t2 = performance.now();
    if (!back.every((b) => b instanceof Uint8Array && b.length === size)) {
      throw new Error("pull returned the wrong data");
    }
    push += (t1 - t0) / 1000;
    pull += (t2 - t1) / 1000;
    bytes += size * back.length;
  }
  return { push, pull, bytes };
}

/**
 * `times` pushes, or `times` pulls of one value pushed once, of `mb` MiB per engine: one
 * direction alone (the pushes of a pull run are not timed).
 *
 * @param client Connected client.
 * @param direction What to time.
 * @param mb MiB per engine.
 * @param times Repetitions.
 * @returns Seconds and bytes moved.
 */
export async function pushOrPull(
  client: Client,
  direction: "push" | "pull",
  mb: number,
  times: number,
): Promise<{ seconds: number; bytes: number }> {
  const view = client.directView();
  const size = mb * 1024 * 1024;
  const buf = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(buf.subarray(i, i + 65536));
  if (direction === "pull") await view.push({ buf });
  let seconds = 0;
  let bytes = 0;
  for (let k = 0; k < times; k++) {
    const t0 = performance.now();
    if (direction === "push") {
      await view.push({ buf });
      bytes += size * client.ids.length;
    } else {
      const back = await view.pull("buf") as Uint8Array[];
      if (!back.every((b) => b instanceof Uint8Array && b.length === size)) {
        throw new Error("pull returned the wrong data");
      }
      bytes += size * back.length;
    }
    seconds += (performance.now() - t0) / 1000;
  }
  return { seconds, bytes };
}

/** Seconds of one scatter then gather. */
export interface ScatterGather {
  /** Scatter plus gather. */
  seconds: number;
  /** Scatter alone. */
  scatter: number;
  /** Gather alone. */
  gather: number;
}

/**
 * Workload 5: scatter `n` numbers across the engines, then gather them back.
 *
 * @param client Connected client.
 * @param n Numbers.
 * @param kind `list`: a JS array of numbers; `typed`: a `Float64Array`.
 * @returns Seconds.
 */
export async function scatterGather(
  client: Client,
  n: number,
  kind: "list" | "typed",
): Promise<ScatterGather> {
  const view = client.directView();
  const data = kind === "list"
    ? Array.from({ length: n }, (_, i) => i)
    : Float64Array.from({ length: n }, (_, i) => i);
  const t0 = performance.now();
  await view.scatter("x", data);
  const t1 = performance.now();
  const back = await view.gather("x") as { length: number };
  const t2 = performance.now();
  if (back.length !== n) throw new Error(`gather returned ${back.length} of ${n} numbers`);
  return { seconds: (t2 - t0) / 1000, scatter: (t1 - t0) / 1000, gather: (t2 - t1) / 1000 };
}
