/**
 * Scratch micro-benchmark of the load-balancing scheduler: acquire+release pairs per second for
 * each scheme at 2, 64 and 1024 engines. Not a test.
 *
 * Run: `deno run scripts/bench_scheduler.ts [--quick]`
 *
 * Workload: tasks finish in submission order (a FIFO of in-flight tasks) with about
 * `engines * 1.5` tasks in flight, so engines with hwm 2 are often full and hwm 0 lets load pile
 * up unevenly. Rows: no filter; `exclude` of 2 engines (a retried task); `allowed` of half the
 * engines (a view with targets).
 *
 * @module
 */

import { type AcquireFilter, createScheduler, SCHEME_NAMES } from "../lib/controller/scheduler.ts";
import { seededRandom } from "../lib/controller/schemes/seeded_random.ts";

const quick = Deno.args.includes("--quick");
const DURATION_MS = quick ? 80 : 400;

/**
 * @param run Performs `n` acquire+release pairs.
 * @returns Pairs per second.
 */
function measure(run: (n: number) => void): number {
  run(20_000); // warm up
  let pairs = 0;
  let batch = 10_000;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < DURATION_MS) {
    run(batch);
    pairs += batch;
    elapsed = performance.now() - start;
    if (elapsed < DURATION_MS / 4) batch *= 2;
  }
  return pairs / (elapsed / 1000);
}

/**
 * @param scheme Scheme name.
 * @param engines Engine count.
 * @param hwm High-water mark.
 * @param filterFor Builds the filter for each task (or `undefined`).
 * @returns A function doing `n` acquire+release pairs on one shared scheduler.
 */
function workload(
  scheme: (typeof SCHEME_NAMES)[number],
  engines: number,
  hwm: number,
  filter: AcquireFilter | undefined,
): (n: number) => void {
  const scheduler = createScheduler({ scheme, hwm, random: seededRandom(1) });
  for (let id = 0; id < engines; id++) scheduler.add(id);
  const target = Math.max(1, Math.floor(engines * 1.5));
  const ring = new Int32Array(target + 1);
  let head = 0;
  let length = 0;
  return (n) => {
    for (let i = 0; i < n; i++) {
      let id = scheduler.acquire(filter);
      while (id === undefined) {
        if (length === 0) throw new Error("Cannot benchmark: no engine qualifies");
        scheduler.release(ring[head]!);
        head = (head + 1) % ring.length;
        length--;
        id = scheduler.acquire(filter);
      }
      ring[(head + length) % ring.length] = id;
      length++;
      if (length > target) {
        scheduler.release(ring[head]!);
        head = (head + 1) % ring.length;
        length--;
      }
    }
  };
}

function format(opsPerSecond: number): string {
  return `${(opsPerSecond / 1e6).toFixed(2)}M`.padStart(8);
}

const sizes = [2, 64, 1024];
const hwms = [0, 2];
console.log(`acquire+release pairs per second (${DURATION_MS} ms per cell)`);
console.log(
  "scheme     filter    " +
    hwms.flatMap((h) => sizes.map((n) => `h${h}/n${n}`.padStart(8))).join(""),
);
for (const scheme of SCHEME_NAMES) {
  for (const kind of ["none", "exclude2", "allowed/2"] as const) {
    const cells: string[] = [];
    for (const hwm of hwms) {
      for (const engines of sizes) {
        const filter: AcquireFilter | undefined = kind === "none"
          ? undefined
          : kind === "exclude2"
          ? { exclude: new Set([0, 1 % engines]) }
          : { allowed: new Set(Array.from({ length: Math.ceil(engines / 2) }, (_, i) => 2 * i)) };
        if (kind === "exclude2" && engines <= 2) {
          cells.push("-".padStart(8));
          continue;
        }
        cells.push(format(measure(workload(scheme, engines, hwm, filter))));
      }
    }
    console.log(`${scheme.padEnd(10)} ${kind.padEnd(9)} ${cells.join("")}`);
  }
}
