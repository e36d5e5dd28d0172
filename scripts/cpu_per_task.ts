/**
 * CPU per task, per process and thread, as the kernel counts it: starts a local cluster
 * (`ipx cluster start --daemon`, as the bench does), runs one workload, and prints the user +
 * system time each role's threads spent on it, divided by the number of tasks (read from
 * `/proc`, see `scripts/_bench/proc_cpu.ts`). Unlike a CPU profile this includes the kernel's
 * work (socket copies, page faults, file writes) and does not charge a thread for time it was
 * preempted.
 *
 * ```text
 * deno run -A --unstable-worker-options scripts/cpu_per_task.ts
 *     [--workload lb|rtt|pushpull|push|pull] [--n 20000] [--engines 2] [--tls] [--no-ipc] [--no-db]
 * ```
 *
 * `lb`: a burst of `n` trivial load-balanced `apply`s; `rtt`: `n` `apply` round trips on one
 * engine, one at a time; `pushpull`: `n` push/pull cycles of 16 MiB per engine (µs per cycle);
 * `push` / `pull`: `n` pushes, or `n` pulls of one pushed value, of 16 MiB per engine alone.
 * Run it as `deno task`s run the bench — with `GLIBC_TUNABLES` from `lib/engine/allocator_env.ts`
 * in the environment — to measure the client as ipx's own processes run.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { cpuSpent, readCpu, readTotals, totalsSpent } from "./_bench/proc_cpu.ts";
import { startDaemonCluster, stopCluster } from "./_bench/ipx_cluster.ts";
import { applyRtt, lbApply, pushOrPull, pushPull } from "./_bench/ipx_workloads.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    workload: { type: "string", default: "lb" },
    n: { type: "string" },
    engines: { type: "string", default: "2" },
    tls: { type: "boolean", default: false },
    "no-ipc": { type: "boolean", default: false },
    "no-db": { type: "boolean", default: false },
  },
});
const workload = values.workload;
const defaults: Record<string, number> = { lb: 20000, rtt: 3000, pushpull: 10, push: 10, pull: 10 };
if (!(workload in defaults)) {
  console.error(`unknown workload ${workload}: use lb, rtt, pushpull, push or pull`);
  Deno.exit(2);
}
const n = values.n ? Number(values.n) : defaults[workload]!;
const engines = Number(values.engines);

const own = !Deno.env.get("IPX_DIR");
if (own) Deno.env.set("IPX_DIR", await Deno.makeTempDir({ prefix: "ipx-cpu-" }));
const profile = "cpu_per_task";
const { client, record } = await startDaemonCluster(
  profile,
  engines,
  values.tls,
  !values["no-ipc"],
  !values["no-db"],
);
try {
  const run = async (count: number): Promise<string> => {
    if (workload === "lb") return `${(count / await lbApply(client, count)).toFixed(0)} tasks/s`;
    if (workload === "rtt") return `${(await applyRtt(client, count) * 1e6 / count).toFixed(0)} µs`;
    if (workload === "push" || workload === "pull") {
      const r = await pushOrPull(client, workload, 16, count);
      return `${workload} ${(r.bytes / r.seconds / 1e6).toFixed(0)} MB/s`;
    }
    const r = await pushPull(client, 16, count);
    return `push ${(r.bytes / r.push / 1e6).toFixed(0)} MB/s, pull ` +
      `${(r.bytes / r.pull / 1e6).toFixed(0)} MB/s`;
  };
  await run(Math.max(2, Math.ceil(n / 10))); // warm up
  const roles = { client: [Deno.pid], controller: [record.pid], engines: record.enginePids };
  const before = readCpu(roles);
  const totalsBefore = readTotals(roles);
  const t0 = performance.now();
  const figure = await run(n);
  const wallMs = performance.now() - t0;
  const spent = cpuSpent(before, readCpu(roles));
  const totals = totalsSpent(totalsBefore, readTotals(roles));
  const total = spent.reduce((sum, [, ms]) => sum + ms, 0);
  const unit = workload === "pushpull"
    ? "cycle"
    : workload === "push" || workload === "pull"
    ? workload
    : workload === "rtt"
    ? "round trip"
    : "task";
  console.log(
    `${workload}: ${n} × on ${engines} engines (${values.tls ? "TLS" : "no TLS"}, ` +
      `${values["no-ipc"] ? "TCP" : "local socket"}, ${values["no-db"] ? "no db" : "db"}): ` +
      `${figure}, wall ${wallMs.toFixed(0)} ms; GLIBC_TUNABLES=` +
      `${Deno.env.get("GLIBC_TUNABLES") ?? "(unset for the client)"}`,
  );
  console.log(`CPU µs per ${unit} (user + system, all threads of a role summed):`);
  for (const [key, ms] of spent) {
    console.log(`  ${(ms * 1000 / n).toFixed(0).padStart(8)}  ${key}`);
  }
  console.log(`  ${(total * 1000 / n).toFixed(0).padStart(8)}  total`);
  console.log(`per ${unit} and role: user µs, system µs, minor page faults (fresh pages)`);
  for (const [role, t] of totals) {
    const per = (x: number) => (x / n).toFixed(0).padStart(8);
    console.log(
      `  ${per(t.userMs * 1000)}  ${per(t.sysMs * 1000)}  ${per(t.minorFaults)}  ${role}`,
    );
  }
} finally {
  await client.close();
  await stopCluster(profile);
  if (own) await Deno.remove(Deno.env.get("IPX_DIR")!, { recursive: true }).catch(() => {});
}
