/**
 * Chaos run (not a unit test): many load-balanced tasks with retries while engines are
 * SIGKILLed and replaced by `ipx engine --restart` — and, with `--kill-controller-every-ms`, the
 * controller too, restarted on the same profile (engines re-attach, the client reconnects, and
 * every result a client received must still be in the controller's records: the record log at
 * work). Prints how many tasks were submitted, completed, failed, lost and duplicated, and exits
 * non-zero unless lost and duplicated are 0.
 *
 * - lost: a task that never settled (no result and no error) within the deadline, or that the
 *   controller has no record of;
 * - duplicated: a task whose outcome was reported twice or inconsistently: the controller's
 *   stored outcome differs from what the client received, or a value came back for the wrong
 *   input.
 *
 * Usage:
 *   deno run -A --unstable-worker-options scripts/chaos.ts [--tasks 10000] [--engines 3]
 *     [--kill-every-ms 2000] [--kill-controller-every-ms 0] [--task-ms 3] [--retries 2]
 *     [--deadline-ms 300000] [--calm-after-ms 0]
 *
 * `--kill-every-ms 0` kills no engine; `--kill-controller-every-ms 0` (the default) never kills
 * the controller. `--calm-after-ms N` stops all killing N ms after the tasks were submitted and
 * lets the rest settle (to tell tasks held up by the killing from tasks lost for good).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Client } from "../mod.ts";
import type { AsyncResult } from "../mod.ts";
import { IpxProcess } from "../tests/_helpers/ipx_cli.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    tasks: { type: "string", default: "10000" },
    engines: { type: "string", default: "3" },
    "kill-every-ms": { type: "string", default: "2000" },
    "kill-controller-every-ms": { type: "string", default: "0" },
    "task-ms": { type: "string", default: "3" },
    retries: { type: "string", default: "2" },
    "deadline-ms": { type: "string", default: "300000" },
    "calm-after-ms": { type: "string", default: "0" },
  },
});
const N_TASKS = Number(values.tasks);
const N_ENGINES = Number(values.engines);
const KILL_EVERY_MS = Number(values["kill-every-ms"]);
const KILL_CONTROLLER_EVERY_MS = Number(values["kill-controller-every-ms"]);
const TASK_MS = Number(values["task-ms"]);
const RETRIES = Number(values.retries);
const DEADLINE_MS = Number(values["deadline-ms"]);
const CALM_AFTER_MS = Number(values["calm-after-ms"]);

/**
 * One chaos task: spins for `ms` milliseconds, notes that it ran (a line in the engines' data
 * dir), then returns its input times two.
 */
function work(x: number, ms: number): number {
  const end = Date.now() + ms;
  while (Date.now() < end) { /* busy */ }
  Deno.writeTextFileSync("chaos-runs.txt", `${x}\n`, { append: true });
  return x * 2;
}

const CONTROLLER_ARGS = ["controller", "--heartbeat-ms", "200", "--dead-after-ms", "1500"];

async function main(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "ipx_chaos_" });
  let controller = new IpxProcess(dir, ...CONTROLLER_ARGS);
  let engines: IpxProcess | undefined;
  let client: Client | undefined;
  let killer: ReturnType<typeof setInterval> | undefined;
  let controllerKills = 0;
  let stopKillingControllers = false;
  /** SIGKILLs the controller now and then and starts a new one on the same profile. */
  const controllerKiller = async () => {
    while (!stopKillingControllers) {
      await new Promise((r) => setTimeout(r, KILL_CONTROLLER_EVERY_MS));
      if (stopKillingControllers) break;
      try {
        controller.child.kill("SIGKILL");
      } catch { /* gone */ }
      await controller.child.status;
      controllerKills++;
      controller = new IpxProcess(dir, ...CONTROLLER_ARGS);
      await controller.waitFor(/ipx controller ready/);
    }
  };
  let controllerKilling: Promise<void> = Promise.resolve();
  try {
    await controller.waitFor(/ipx controller ready/);
    engines = new IpxProcess(dir, "engine", "--n", String(N_ENGINES), "--restart");
    client = await Client.connect({
      file: `${dir}/profile_default/security/ipx-client.json`,
      timeoutMs: 30_000,
      reconnectForMs: 120_000,
    });
    await client.waitForEngines(N_ENGINES, { timeoutMs: 60_000 });
    const c = client;
    const lv = c.loadBalancedView({ retries: RETRIES });
    let kills = 0;
    const killed: string[] = [];
    if (KILL_CONTROLLER_EVERY_MS > 0) controllerKilling = controllerKiller();
    killer = KILL_EVERY_MS <= 0 ? undefined : setInterval(() => {
      const live = c.engines.filter((e) => e.state !== "disconnected");
      const victim = live[Math.floor(Math.random() * live.length)];
      if (!victim) return;
      try {
        Deno.kill(victim.pid, "SIGKILL");
        kills++;
        killed.push(`${victim.id}`);
      } catch { /* already gone */ }
    }, KILL_EVERY_MS);

    const started = Date.now();
    const ars: AsyncResult<number>[] = [];
    for (let i = 0; i < N_TASKS; i++) ars.push(lv.apply(work, i, TASK_MS));
    console.log(`submitted ${N_TASKS} tasks (retries: ${RETRIES}) to ${N_ENGINES} engines`);

    const outcomes = new Array<
      { ok: boolean; value?: unknown; ename?: string; evalue?: string } | undefined
    >(N_TASKS);
    let settledCount = 0;
    const allSettled = Promise.all(ars.map(async (ar, i) => {
      const [s] = await ar.settled();
      outcomes[i] = s?.ok
        ? { ok: true, value: s.value }
        : { ok: false, ename: s?.error.ename ?? "?", evalue: s?.error.evalue ?? "" };
      settledCount++;
    }));
    const progress = setInterval(() => {
      console.log(
        `  ${settledCount}/${N_TASKS} settled, ${kills} engines killed, ` +
          `${controllerKills} controller restarts, engines now ${c.ids.join(",")}`,
      );
    }, 5000);
    const calm = CALM_AFTER_MS <= 0 ? undefined : setTimeout(() => {
      console.log(`  calm: no more kills after ${CALM_AFTER_MS} ms`);
      clearInterval(killer);
      killer = undefined;
      stopKillingControllers = true;
    }, CALM_AFTER_MS);
    const deadline = new Promise<"deadline">((r) => setTimeout(() => r("deadline"), DEADLINE_MS));
    const how = await Promise.race([allSettled.then(() => "done" as const), deadline]);
    clearInterval(progress);
    clearTimeout(calm);
    clearInterval(killer);
    killer = undefined;
    stopKillingControllers = true;
    await controllerKilling;
    const elapsed = (Date.now() - started) / 1000;

    // cross-check every task against the controller's records, from a second client
    const auditor = await Client.connect({
      file: `${dir}/profile_default/security/ipx-client.json`,
      timeoutMs: 30_000,
    });
    let completed = 0;
    let failed = 0;
    let lost = 0;
    let duplicated = 0;
    const failures = new Map<string, number>();
    const examples = new Map<string, string>();
    try {
      const ids = ars.map((ar) => ar.msgIds[0]!);
      const records = await auditor.dbQuery({ msgId: { $in: ids } }, ["status", "ename"]);
      const byId = new Map(records.map((r) => [r.msgId as string, r]));
      for (let i = 0; i < N_TASKS; i++) {
        const o = outcomes[i];
        const rec = byId.get(ids[i]!);
        if (!o || !rec || rec.status === "queued" || rec.status === "running") {
          lost++;
          continue;
        }
        if (o.ok) {
          completed++;
          if (o.value !== i * 2 || rec.status !== "ok") duplicated++;
        } else {
          failed++;
          failures.set(o.ename!, (failures.get(o.ename!) ?? 0) + 1);
          if (!examples.has(o.ename!)) examples.set(o.ename!, o.evalue ?? "");
          if (rec.status === "ok" || rec.ename !== o.ename) duplicated++;
        }
      }
    } finally {
      await auditor.close();
    }
    // how often each task ran: more than once is expected only for retries after an engine died
    // while running it; with no engine killed, every task must run at most once
    const runs = new Map<number, number>();
    const log = await Deno.readTextFile(`${dir}/profile_default/data/chaos-runs.txt`).catch(() =>
      ""
    );
    for (const line of log.split("\n")) {
      if (line) runs.set(Number(line), (runs.get(Number(line)) ?? 0) + 1);
    }
    const ranTwice = [...runs.values()].filter((n) => n > 1).length;
    const restarts = engines!.lines.filter((l) => /starting a replacement engine/.test(l)).length;
    console.log(
      `\nchaos: ${N_TASKS} tasks × ${TASK_MS} ms on ${N_ENGINES} engines, SIGKILL every ` +
        `${KILL_EVERY_MS} ms; ${how === "done" ? "all settled" : "DEADLINE REACHED"} in ` +
        `${elapsed.toFixed(1)} s`,
    );
    console.log(`engines killed: ${kills} (replaced: ${restarts}); final ids: ${c.ids.join(",")}`);
    console.log(`controller killed and restarted: ${controllerKills}`);
    console.log(`submitted:  ${N_TASKS}`);
    console.log(`completed:  ${completed}`);
    console.log(
      `failed:     ${failed}${
        failures.size ? ` (${[...failures].map(([k, v]) => `${k}: ${v}`).join(", ")})` : ""
      }`,
    );
    for (const [ename, evalue] of examples) console.log(`  e.g. ${ename}: ${evalue}`);
    console.log(`lost:       ${lost}`);
    console.log(
      `ran twice:  ${ranTwice}` + (kills > 0 ? " (allowed: retries after an engine died)" : ""),
    );
    console.log(`duplicated: ${duplicated}`);
    const ok = lost === 0 && duplicated === 0 && completed + failed === N_TASKS &&
      (kills > 0 || ranTwice === 0);
    console.log(ok ? "chaos: OK" : "chaos: FAILED");
    return ok ? 0 : 1;
  } finally {
    if (killer !== undefined) clearInterval(killer);
    stopKillingControllers = true;
    await controllerKilling.catch(() => {});
    await client?.close();
    await engines?.stop();
    await controller.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.exit(await main());
