/**
 * `ipx cluster start|stop|list`: a controller and N local engines in one command.
 *
 * @module
 */

import { Command } from "commander";
import { fileURLToPath } from "node:url";
import {
  acquirePidLock,
  AlreadyRunningError,
  isProcessAlive,
  listProfiles,
} from "../lib/profile/mod.ts";
import { profilePaths } from "../lib/profile/mod.ts";
import { writeFileAtomic } from "../lib/profile/mod.ts";
import { TLS_OFF_WARNING } from "../lib/controller/tls_off.ts";
import { openLog } from "./_log.ts";
import {
  engineSandbox,
  engineSandboxArgs,
  type EngineSandboxCli,
  withEngineSandboxOptions,
} from "./_engine_sandbox.ts";
import {
  DEAD_AFTER_OPTION,
  HEARTBEAT_OPTION,
  HWM_HELP,
  MAX_FRAME_HELP,
  parseHwm,
  parseLiveness,
  parseMaxFrameMb,
} from "./_usage.ts";

/** What `ipx cluster start` records in `security/ipx-cluster.json`. */
export interface ClusterRecord {
  profile: string;
  pid: number;
  n: number;
  state: "starting" | "ready";
  engineIds: number[];
  enginePids: number[];
  address: string;
  /** The engines' data dir (absent in records of older versions). */
  dataDir?: string;
  startedAt: string;
}

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

function clusterFile(profile: string): string {
  return `${profilePaths(profile).security}/ipx-cluster.json`;
}

async function readRecord(profile: string): Promise<ClusterRecord | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(clusterFile(profile))) as ClusterRecord;
  } catch {
    return undefined;
  }
}

async function waitGone(pids: number[], ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (pids.every((p) => !isProcessAlive(p))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return pids.every((p) => !isProcessAlive(p));
}

/**
 * Says why `cluster start` cannot run on a profile: a cluster is running on it, or a
 * controller holds its lock (the lock is only tried: the controller started later takes it).
 *
 * @param profile The profile.
 * @returns The exit code (10: already running; 1: the lock cannot be tried), or `undefined`.
 */
async function refuseRunning(profile: string): Promise<number | undefined> {
  const existing = await readRecord(profile);
  if (existing && isProcessAlive(existing.pid)) {
    console.error(
      `ipx cluster start: a cluster is already running for profile "${profile}" (pid ${existing.pid}); ` +
        `stop it with \`ipx cluster stop --profile ${profile}\``,
    );
    return 10;
  }
  const paths = profilePaths(profile);
  if (!(await Deno.stat(paths.dir).then(() => true, () => false))) return undefined;
  try {
    (await acquirePidLock(paths.pidFile, { what: "ipx controller" })).release();
  } catch (error) {
    console.error(`ipx cluster start: ${(error as Error).message}`);
    return error instanceof AlreadyRunningError ? 10 : 1;
  }
  return undefined;
}

async function start(
  o: EngineSandboxCli & {
    n: string;
    profile: string;
    daemon?: boolean;
    tls: boolean;
    ipc: boolean;
    db: boolean;
    restart?: boolean;
    hwm: string;
    maxFrameMb?: string;
    heartbeatMs?: string;
    deadAfterMs?: string;
  },
): Promise<number> {
  const hwm = parseHwm(o.hwm);
  const liveness = parseLiveness(o);
  const maxFrameBytes = o.maxFrameMb === undefined ? undefined : parseMaxFrameMb(o.maxFrameMb);
  const n = Number(o.n);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`ipx cluster start: --n must be a positive integer, got ${o.n}`);
    return 2;
  }
  const paths = profilePaths(o.profile);
  // said here, before anything is made (the data dir included) or started, and before a daemon
  // is spawned (whose stderr goes nowhere); the daemon takes the controller's lock for real
  const running = await refuseRunning(o.profile);
  if (running !== undefined) return running;
  const sandbox = await engineSandbox(o, {
    defaultDataDir: paths.data,
    keyFile: paths.engineFile,
  });
  if (o.daemon) {
    // the daemon's own warning goes to its log file only: say it here, where the user looks
    if (!o.tls) console.error(`ipx cluster start: WARNING: ${TLS_OFF_WARNING}`);
    await Deno.mkdir(paths.log, { recursive: true });
    const logPath = `${paths.log}/cluster.log`;
    const args = [
      "run",
      "--allow-all",
      "--unstable-worker-options",
      "--no-prompt",
      "--v8-flags=--max-semi-space-size=4", // as ./ipx
      MAIN,
      "cluster",
      "start",
      "--n",
      String(n),
      "--profile",
      o.profile,
    ];
    if (!o.tls) args.push("--no-tls");
    if (!o.ipc) args.push("--no-ipc");
    if (!o.db) args.push("--no-db");
    if (o.restart) args.push("--restart");
    args.push("--hwm", String(hwm));
    if (o.maxFrameMb !== undefined) args.push("--max-frame-mb", o.maxFrameMb);
    if (liveness.heartbeatMs) args.push("--heartbeat-ms", String(liveness.heartbeatMs));
    if (liveness.deadAfterMs) args.push("--dead-after-ms", String(liveness.deadAfterMs));
    args.push(...engineSandboxArgs(sandbox));
    // the daemon logs to its log file itself; it keeps no pipe to this process. In a session
    // of its own, run by name where it can be (huge pages for its buffers: engine_launch.ts),
    // and, like engines, without Deno's update check (engineEnv in engine_launch.ts)
    const { inOwnSession } = await import("../lib/engine/engine_launch.ts");
    const env = { ...Deno.env.toObject(), DENO_NO_UPDATE_CHECK: "1" };
    const spawn = inOwnSession(Deno.execPath(), args, env);
    const child = new Deno.Command(spawn.command, {
      args: spawn.args,
      env: spawn.env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: spawn.detached,
    }).spawn();
    let exited = false;
    child.status.then(() => exited = true);
    const until = Date.now() + 60_000;
    while (Date.now() < until && !exited) {
      const rec = await readRecord(o.profile);
      if (rec?.state === "ready" && rec.pid === child.pid) {
        console.log(
          `cluster started in the background: pid ${child.pid}, ${engines(n)} ` +
            `(ids ${rec.engineIds.join(",")}) on ${rec.address}, data dir ${sandbox.dataDir}; ` +
            `log: ${logPath}`,
        );
        child.unref();
        return 0;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    console.error(`ipx cluster start: the background cluster did not become ready; see ${logPath}`);
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    return 1;
  }
  await Deno.mkdir(paths.log, { recursive: true });
  const log = openLog(`${paths.log}/cluster.log`, { quiet: false });
  // loaded here, not at start: every ipx command loads this file (see main.ts)
  const { startLocalCluster } = await import("./_local_cluster.ts");
  let cluster: Awaited<ReturnType<typeof startLocalCluster>>;
  // the record follows the engines once written: replacements (--restart), re-registrations
  let enginesChanged = () => {};
  try {
    cluster = await startLocalCluster({
      onEnginesChanged: () => enginesChanged(),
      profile: o.profile,
      n,
      ...sandbox,
      noTls: !o.tls,
      noIpc: !o.ipc,
      noDb: !o.db,
      restart: !!o.restart,
      hwm,
      ...(maxFrameBytes !== undefined ? { maxFrameBytes } : {}),
      ...liveness,
      log,
    });
  } catch (error) {
    // a standalone controller on this profile: the same exit code as a running cluster
    if (!(error instanceof AlreadyRunningError)) throw error;
    log.close();
    console.error(`ipx cluster start: ${error.message}`);
    return 10;
  }
  const startedAt = new Date().toISOString();
  const record = (): ClusterRecord => ({
    profile: o.profile,
    pid: Deno.pid,
    n,
    state: "ready",
    engineIds: cluster.engineIds,
    enginePids: cluster.enginePids,
    address: `${cluster.running.info.host}:${cluster.running.info.port}`,
    dataDir: sandbox.dataDir,
    startedAt,
  });
  // listen for signals before saying "ready": `ipx cluster stop` may signal right after it
  const stop = Promise.withResolvers<void>();
  const onSig = () => stop.resolve();
  Deno.addSignalListener("SIGINT", onSig);
  Deno.addSignalListener("SIGTERM", onSig);
  await writeFileAtomic(clusterFile(o.profile), JSON.stringify(record(), null, 2), 0o600);
  let recorded = JSON.stringify([record().engineIds, record().enginePids]);
  let saving = Promise.resolve();
  let stopping = false;
  enginesChanged = () => {
    saving = saving.then(async () => {
      const now = record();
      const engines = JSON.stringify([now.engineIds, now.enginePids]);
      if (stopping || engines === recorded) return;
      recorded = engines;
      await writeFileAtomic(clusterFile(o.profile), JSON.stringify(now, null, 2), 0o600);
      log(
        "info",
        `cluster engines now: ids ${now.engineIds.join(",") || "none"}, pids ` +
          `${now.enginePids.join(",") || "none"} (recorded for \`ipx cluster list\` and \`stop\`)`,
      );
    }).catch((error) =>
      log(
        "warn",
        `cannot update ${clusterFile(o.profile)}: ${(error as Error).message}; ` +
          `\`ipx cluster list\` may show engines that were replaced`,
      )
    );
  };
  console.log(
    `cluster ready: ${engines(n)} (ids ${record().engineIds.join(",")}) on ${record().address}, ` +
      `profile ${o.profile}, data dir ${sandbox.dataDir}; stop with Ctrl-C or \`ipx cluster stop --profile ${o.profile}\``,
  );
  cluster.running.controller.shutdownRequested.then(onSig);
  await stop.promise;
  Deno.removeSignalListener("SIGINT", onSig);
  Deno.removeSignalListener("SIGTERM", onSig);
  log("info", "stopping cluster");
  stopping = true;
  await saving;
  await cluster.stop();
  await Deno.remove(clusterFile(o.profile)).catch(() => {});
  log("info", "cluster stopped");
  log.close();
  return 0;
}

async function stop(o: { profile: string }): Promise<number> {
  const rec = await readRecord(o.profile);
  if (!rec || !isProcessAlive(rec.pid)) {
    if (rec) await Deno.remove(clusterFile(o.profile)).catch(() => {});
    console.error(`ipx cluster stop: no cluster is running for profile "${o.profile}"`);
    return 11;
  }
  // counted before the stop: an engine that died earlier (and was not replaced) is not one
  // this stop ended; the record lists the engine processes running at its last change
  const alive = rec.enginePids.filter((p) => isProcessAlive(p)).length;
  const gone = Math.max(0, rec.n - alive);
  Deno.kill(rec.pid, "SIGTERM");
  const all = [rec.pid, ...rec.enginePids];
  if (!(await waitGone(all, 10_000))) {
    for (const p of all) {
      try {
        Deno.kill(p, "SIGKILL");
      } catch { /* gone */ }
    }
    await waitGone(all, 5000);
  }
  await Deno.remove(clusterFile(o.profile)).catch(() => {});
  const what = gone === 0
    ? `pid ${rec.pid} and ${engines(alive)}`
    : alive === 0
    ? `pid ${rec.pid}; its ${engines(gone)} had already exited`
    : `pid ${rec.pid} and ${engines(alive)}; ${engines(gone)} had already exited`;
  console.log(`cluster for profile "${o.profile}" stopped (${what})`);
  return 0;
}

/** `1 engine`, `2 engines`. */
function engines(n: number): string {
  return `${n} engine${n === 1 ? "" : "s"}`;
}

/** How long `cluster list` waits for a running controller to say which engines it has. */
const LIST_ASK_MS = 3_000;

/** Engines registered now with the profile's controller, or null when it cannot be asked. */
async function liveEngines(profile: string): Promise<number | null> {
  try {
    // loaded here only: `cluster start` does not need the client
    const { Client } = await import("../lib/client/client.ts");
    await using client = await Client.connect({ profile, timeoutMs: LIST_ASK_MS });
    return client.ids.length;
  } catch {
    return null;
  }
}

async function list(o: { json?: boolean }): Promise<number> {
  // `n`: engines asked for at start; `engines`: registered now (null: stopped or not answering)
  const rows: (ClusterRecord & { running: boolean; engines: number | null })[] = [];
  for (const profile of await listProfiles()) {
    const rec = await readRecord(profile);
    if (!rec) continue;
    const running = isProcessAlive(rec.pid);
    rows.push({ ...rec, running, engines: running ? await liveEngines(profile) : null });
  }
  if (o.json) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  console.log(
    ["PROFILE", "RUNNING", "PID", "ENGINES", "ADDRESS"].map((h, i) =>
      h.padEnd([16, 8, 8, 8, 24][i]!)
    ).join("").trimEnd(),
  );
  for (const r of rows) {
    console.log(
      [r.profile, r.running ? "yes" : "no", String(r.pid), engineCount(r), r.address]
        .map((v, i) => v.padEnd([16, 8, 8, 8, 24][i]!)).join("").trimEnd(),
    );
  }
  return 0;
}

/** The ENGINES column: registered now of asked for (`2/2`), `-/2` when none can be counted. */
function engineCount(r: { n: number; engines: number | null }): string {
  return `${r.engines ?? "-"}/${r.n}`;
}

/** Builds the `ipx cluster` command. */
export function clusterCommand(): Command {
  const cmd = new Command("cluster").description(
    "run a controller and engines locally in one command",
  );
  const startCmd = cmd.command("start")
    .description("start a controller and N engines")
    .option("--n <count>", "number of engines", "2")
    .option("--profile <name>", "profile to use", "default")
    .option("--daemon", "run in the background")
    .option("--no-tls", "plain TCP (trusted networks only)")
    .option("--no-ipc", "engines use TCP/TLS instead of the local Unix socket")
    .option(
      "--no-db",
      "keep task history in memory only (nothing written to disk; lost when the cluster stops)",
    )
    .option("--restart", "replace engines that die")
    .option("--hwm <n>", HWM_HELP, "auto")
    .option("--max-frame-mb <n>", MAX_FRAME_HELP)
    .option(...HEARTBEAT_OPTION)
    .option(...DEAD_AFTER_OPTION);
  withEngineSandboxOptions(startCmd, "<profile>/data")
    .action(async (o) => {
      Deno.exitCode = await start(o);
    });
  cmd.command("stop")
    .description("stop the cluster of a profile (leaves no process behind)")
    .option("--profile <name>", "profile", "default")
    .action(async (o) => {
      Deno.exitCode = await stop(o);
    });
  cmd.command("list")
    .description(
      "list clusters: profile, running, pid, engines registered now / asked for, address",
    )
    .option("--json", "machine-readable output")
    .action(async (o) => {
      Deno.exitCode = await list(o);
    });
  return cmd;
}
