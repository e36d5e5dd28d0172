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
 * This file is the entry point (arguments, temp dir, report, JSON); the run itself is
 * `_bench/run.ts`, which calls one `_bench/section_*.ts` module per workload section with a
 * shared context (`_bench/context.ts`).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { allocatorEnv, DEFAULT_GLIBC_TUNABLES } from "../lib/engine/allocator_env.ts";
import { byName } from "../lib/engine/engine_launch.ts";
import { Figures } from "./_bench/figures.ts";
import { loadAverage } from "./_bench/readings.ts";
import { recorder } from "./_bench/recorder.ts";
import { buildRows, renderReport } from "./_bench/report.ts";
import { run } from "./_bench/run.ts";
import { parseSettings, type Settings, USAGE } from "./_bench/settings.ts";
import { fmtNum, summarize } from "./_bench/stats.ts";

const figures = new Figures();
const rec = recorder(figures);
const { log } = rec;
let out: (line: string) => void = (line) => console.log(line);

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
  // by name: with a short argv[0], Debian 12's glibc applies the huge pages asked for
  // (shortArgv0 in lib/engine/engine_launch.ts)
  const spawn = byName(Deno.execPath(), [
    "run",
    "--config",
    fileURLToPath(new URL("../deno.json", import.meta.url)),
    "--allow-all",
    "--unstable-worker-options",
    fileURLToPath(import.meta.url),
    ...Deno.args,
  ], { ...env, GLIBC_TUNABLES: DEFAULT_GLIBC_TUNABLES });
  const child = new Deno.Command(spawn.command, {
    args: spawn.args,
    env: spawn.env,
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
    meta = await run(s, rec);
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
