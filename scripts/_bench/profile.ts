/**
 * CPU profiles of ipx under load: starts a controller and engines by hand with
 * `deno run --cpu-prof`, drives one workload from a profiled client process, stops everything
 * cleanly so every profile is written, and aggregates the profiles over the workload's time
 * window (self time by area and function, inclusive time, µs per operation).
 *
 * ```text
 * deno run -A --unstable-worker-options scripts/_bench/profile.ts [--workload rtt|exec|lb|lbmap|pushpull|pull|sg|sgf64]
 *     [--n 3000] [--engines 2] [--no-tls] [--no-ipc] [--no-db] [--interval-us 200] [--top 25]
 *     [--out DIR]
 * ```
 *
 * The code Worker inside each engine writes its profile only when it closes itself, so at the
 * end the client interrupts a sleeping task on every engine (which makes the Worker close
 * itself and a fresh one start). V8 profile timestamps are CLOCK_MONOTONIC µs; the workload
 * window is converted from wall-clock time with an offset read from Python's clocks.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Client } from "../../mod.ts";
import { readConnectionFile } from "../../lib/protocol/connection_file.ts";
import { engineProcessFlags } from "../../lib/engine/supervisor.ts";
import { allocatorEnv } from "../../lib/engine/allocator_env.ts";
import { byName } from "../../lib/engine/engine_launch.ts";
import { renderSummary, summarizeProfile } from "./cpuprof.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const CONFIG = `${ROOT}deno.json`;

type Workload = "rtt" | "exec" | "lb" | "lbmap" | "pushpull" | "pull" | "sg" | "sgf64";

/** What the client process reports. */
interface ClientReport {
  workload: Workload;
  ops: number;
  seconds: number;
  /** Wall-clock µs of the workload's start and end. */
  startWallUs: number;
  endWallUs: number;
  /** Tasks per engine id. */
  perEngine: Record<string, number>;
}

function wallUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

// ---------------------------------------------------------------------------------------------
// client role

async function clientRole(
  workload: Workload,
  n: number,
  engines: number,
  flushWorkers: boolean,
): Promise<void> {
  const client = await Client.connect({ profile: "prof" });
  await client.waitForEngines(engines);
  const one = client.directView(client.ids[0]!);
  const lb = client.loadBalancedView();
  const perEngine: Record<string, number> = {};
  const count = (ids: number[]) => {
    for (const id of ids) perEngine[id] = (perEngine[id] ?? 0) + 1;
  };
  // warm-up
  for (let i = 0; i < 100; i++) await one.apply(() => 1);
  await Promise.all(Array.from({ length: 200 }, () => lb.apply(() => 1)));
  if (workload === "pull") await client.directView().push({ buf: new Uint8Array(16 << 20) });
  await new Promise((r) => setTimeout(r, 300));
  const startWallUs = wallUs();
  const t0 = performance.now();
  let ops = n;
  if (workload === "rtt") {
    for (let i = 0; i < n; i++) await one.apply(() => 1);
    perEngine[client.ids[0]!] = n;
  } else if (workload === "exec") {
    const all = client.directView();
    for (let i = 0; i < n; i++) await all.execute("x = 1");
    for (const id of client.ids) perEngine[id] = n;
  } else if (workload === "sg" || workload === "sgf64") {
    const all = client.directView();
    const data = workload === "sg"
      ? Array.from({ length: 1_000_000 }, (_, i) => i)
      : Float64Array.from({ length: 1_000_000 }, (_, i) => i);
    for (let i = 0; i < n; i++) {
      await all.scatter("x", data);
      await all.gather("x");
    }
    ops = 2 * n;
    for (const id of client.ids) perEngine[id] = ops;
  } else if (workload === "lb") {
    const ars = Array.from({ length: n }, () => lb.apply(() => 1));
    await Promise.all(ars);
    for (const ar of ars) count(ar.engineIds);
  } else if (workload === "lbmap") {
    const ar = lb.map((x: number) => x, Array.from({ length: n }, (_, i) => i), { chunksize: 1 });
    await ar;
    count(ar.engineIds);
  } else if (workload === "pull") {
    const dv = client.directView();
    for (let i = 0; i < n; i++) await dv.pull("buf");
    ops = n;
    for (const id of client.ids) perEngine[id] = ops;
  } else {
    const dv = client.directView();
    const buf = new Uint8Array(16 * 1024 * 1024);
    ops = 0;
    for (let i = 0; i < n; i++) {
      await dv.push({ buf });
      await dv.pull("buf");
      ops += 2;
    }
    for (const id of client.ids) perEngine[id] = ops;
  }
  const seconds = (performance.now() - t0) / 1000;
  const endWallUs = wallUs();
  await new Promise((r) => setTimeout(r, 300));
  if (flushWorkers) {
    // make every code Worker close itself (that is when it writes its profile)
    const sleepers = client.ids.map((id) =>
      client.directView(id).execute("await new Promise((r) => setTimeout(r, 60000))")
    );
    await new Promise((r) => setTimeout(r, 500));
    for (const s of sleepers) s.interrupt();
    await Promise.all(sleepers.map((s) => s.settled()));
    await new Promise((r) => setTimeout(r, 500));
  }
  const report: ClientReport = { workload, ops, seconds, startWallUs, endWallUs, perEngine };
  console.log(JSON.stringify(report));
  await client.close();
  Deno.exit(0);
}

// ---------------------------------------------------------------------------------------------
// orchestrator

/**
 * Starts `deno` with `args` as ipx starts its processes: with its allocator setting (unless the
 * environment has one) and by name, so huge pages apply (lib/engine/engine_launch.ts).
 */
function spawn(args: string[], env: Record<string, string>): Deno.ChildProcess {
  const parent = Deno.env.toObject();
  const named = byName(Deno.execPath(), args, { ...parent, ...allocatorEnv(parent), ...env });
  return new Deno.Command(named.command, {
    args: named.args,
    env: named.env,
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
}

/** Resolves with the first stdout line matching `re`, then keeps draining stdout. */
function waitLine(
  child: Deno.ChildProcess,
  re: RegExp,
): { line: Promise<string>; all: Promise<string> } {
  const found = Promise.withResolvers<string>();
  const all = (async () => {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of child.stdout) {
      text += decoder.decode(chunk, { stream: true });
      const m = text.split("\n").find((l) => re.test(l));
      if (m !== undefined) found.resolve(m);
    }
    found.reject(new Error(`process ended before printing ${re}: ${text.slice(-500)}`));
    return text;
  })();
  return { line: found.promise, all };
}

async function monotonicOffsetUs(): Promise<number> {
  const out = await new Deno.Command("python3", {
    args: ["-c", "import time; print(time.monotonic_ns() // 1000, time.time_ns() // 1000)"],
    stdout: "piped",
  }).output();
  const [mono, wall] = new TextDecoder().decode(out.stdout).trim().split(/\s+/).map(Number);
  return mono! - wall!;
}

async function stopProcess(child: Deno.ChildProcess, what: string): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* gone */ }
  const timer = setTimeout(() => {
    console.error(`profile: ${what} did not stop on SIGTERM; killing it (no profile)`);
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 15_000);
  await child.status;
  clearTimeout(timer);
}

async function profileFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.endsWith(".cpuprofile")) continue;
    const path = `${dir}/${e.name}`;
    if ((await Deno.stat(path)).size > 0) out.push(path);
  }
  return out.sort();
}

interface SessionOptions {
  workload: Workload;
  n: number;
  engines: number;
  tls: boolean;
  /** Engines and client on the controller's Unix socket (else TCP/TLS, as from other hosts). */
  ipc: boolean;
  db: boolean;
  intervalUs: number;
  top: number;
  out: string;
}

interface RunResult {
  report: ClientReport;
  engineIds: number[];
  dir: string;
}

/**
 * One profiled run. With `flushWorkers`, the client interrupts a task on every engine at the
 * end so the code Workers close themselves and write their profiles.
 */
async function runOnce(o: SessionOptions, flushWorkers: boolean): Promise<RunResult> {
  const dir = `${o.out}/${o.workload}/${flushWorkers ? "workers" : "main"}`;
  // profiles of an earlier run into the same --out would be summed with this run's
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const ipxDir = await Deno.makeTempDir({ prefix: "ipx-prof-" });
  const env = { IPX_DIR: ipxDir };
  const prof = (name: string) => [
    "--cpu-prof",
    `--cpu-prof-dir=${dir}/${name}`,
    `--cpu-prof-interval=${o.intervalUs}`,
  ];
  const names = [
    "controller",
    "client",
    ...Array.from({ length: o.engines }, (_, i) => `engine${i}`),
  ];
  for (const name of names) await Deno.mkdir(`${dir}/${name}`, { recursive: true });
  const controller = spawn([
    "run",
    "--config",
    CONFIG,
    "-A",
    "--unstable-worker-options",
    ...prof("controller"),
    `${ROOT}main.ts`,
    "controller",
    "--profile",
    "prof",
    ...(o.tls ? [] : ["--no-tls"]),
    ...(o.ipc ? [] : ["--no-ipc"]),
    ...(o.db ? [] : ["--no-db"]),
  ], env);
  const engines: Deno.ChildProcess[] = [];
  const engineIds: number[] = [];
  try {
    await waitLine(controller, /ipx controller ready/).line;
    const file = `${ipxDir}/profile_prof/security/ipx-engine.json`;
    const info = await readConnectionFile(file);
    const dataDir = `${ipxDir}/data`;
    await Deno.mkdir(dataDir, { recursive: true });
    const flags = engineProcessFlags({ file, info, n: o.engines, dataDir, log: () => {} });
    for (let i = 0; i < o.engines; i++) {
      const child = spawn([
        "run",
        "--config",
        CONFIG,
        ...flags,
        ...prof(`engine${i}`),
        `${ROOT}lib/engine/process_main.ts`,
        "--file",
        file,
        "--data-dir",
        dataDir,
      ], env);
      engines.push(child);
      const line = await waitLine(child, /ipx-engine registered \d+/).line;
      engineIds.push(Number(/(\d+)\s*$/.exec(line)![1]));
    }
    const client = spawn([
      "run",
      "--config",
      CONFIG,
      "-A",
      "--unstable-worker-options",
      ...prof("client"),
      SELF,
      "--role",
      "client",
      "--workload",
      o.workload,
      "--n",
      String(o.n),
      "--engines",
      String(o.engines),
      ...(flushWorkers ? ["--flush-workers"] : []),
    ], env);
    const reportLine = await waitLine(client, /^\{/).line;
    await client.status;
    return { report: JSON.parse(reportLine) as ClientReport, engineIds, dir };
  } finally {
    for (const e of engines) await stopProcess(e, "engine");
    await stopProcess(controller, "controller");
    await Deno.remove(ipxDir, { recursive: true }).catch(() => {});
  }
}

async function session(o: SessionOptions): Promise<void> {
  // Run 1: main threads (client, controller, engines) — exits cleanly, so every main-thread
  // profile is written. Run 2: the code Workers, flushed by interrupting a task (which, at the
  // time of writing, also crashes the engine process, losing its main-thread profile).
  const runs = [await runOnce(o, false), await runOnce(o, true)];
  const offset = await monotonicOffsetUs();
  const lines: string[] = [];
  const busy: string[] = [];
  const first = runs[0]!.report;
  lines.push(
    `## workload ${o.workload}: ${first.ops} ops in ${first.seconds.toFixed(2)} s = ` +
      `${(first.seconds * 1e6 / first.ops).toFixed(1)} µs/op, ` +
      `${Math.round(first.ops / first.seconds).toLocaleString("en-US")} ops/s under the ` +
      `profiler (${o.engines} engines, ${o.tls ? "TLS" : "no TLS"}, sampling every ` +
      `${o.intervalUs} µs; tasks per engine ${JSON.stringify(first.perEngine)})`,
  );
  lines.push(
    "Profiles cover only the workload window; µs/op = CPU time of that thread divided by the " +
      "ops it served. Main threads from run 1, code Workers from run 2 " +
      `(${runs[1]!.report.ops} ops in ${runs[1]!.report.seconds.toFixed(2)} s).`,
  );
  for (const [i, run] of runs.entries()) {
    const window = {
      from: run.report.startWallUs + offset,
      to: run.report.endWallUs + offset,
    };
    const names = ["client", "controller", ...run.engineIds.map((_, k) => `engine${k}`)];
    for (const name of names) {
      for (const f of await profileFiles(`${run.dir}/${name}`)) {
        const isWorker = /worker-\d+\.cpuprofile$/.test(f);
        if (isWorker !== (i === 1)) continue;
        const s = await summarizeProfile(f, window);
        const title = `${name}${isWorker ? " — code Worker thread" : " — main thread"}`;
        const ops = name.startsWith("engine")
          ? run.report.perEngine[String(run.engineIds[Number(name.slice(6))])] ?? 0
          : run.report.ops;
        if (ops === 0) continue;
        busy.push(
          `  ${title.padEnd(34)} busy ${(s.busyUs / 1e6).toFixed(2).padStart(6)} s of ` +
            `${(s.wallUs / 1e6).toFixed(2)} s = ${(s.busyUs / ops).toFixed(1).padStart(7)} µs/op`,
        );
        lines.push("");
        lines.push(renderSummary(s, { top: o.top, ops, title }));
      }
    }
  }
  lines.splice(2, 0, "CPU per thread over the workload window:", ...busy);
  const text = lines.join("\n");
  await Deno.writeTextFile(`${o.out}/${o.workload}/summary.txt`, text + "\n");
  console.log(text + "\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      role: { type: "string" },
      workload: { type: "string", default: "all" },
      n: { type: "string" },
      engines: { type: "string", default: "2" },
      "no-tls": { type: "boolean", default: false },
      "no-ipc": { type: "boolean", default: false },
      "no-db": { type: "boolean", default: false },
      "interval-us": { type: "string", default: "200" },
      top: { type: "string", default: "25" },
      out: { type: "string" },
      "flush-workers": { type: "boolean", default: false },
    },
  });
  const engines = Number(values.engines);
  if (values.role === "client") {
    return await clientRole(
      values.workload as Workload,
      Number(values.n),
      engines,
      values["flush-workers"],
    );
  }
  const workloads: Workload[] = values.workload === "all"
    ? ["rtt", "lb"]
    : values.workload!.split(",") as Workload[];
  const out = values.out ?? await Deno.makeTempDir({ prefix: "ipx-cpuprof-" });
  console.error(`profile: writing profiles and summaries under ${out}`);
  const defaults: Record<Workload, number> = {
    rtt: 3000,
    exec: 2000,
    lb: 10000,
    lbmap: 10000,
    pushpull: 5,
    pull: 20,
    sg: 20,
    sgf64: 20,
  };
  for (const workload of workloads) {
    await session({
      workload,
      n: values.n ? Number(values.n) : defaults[workload],
      engines,
      tls: !values["no-tls"],
      ipc: !values["no-ipc"],
      db: !values["no-db"],
      intervalUs: Number(values["interval-us"]),
      top: Number(values.top),
      out,
    });
  }
}

if (import.meta.main) await main();
