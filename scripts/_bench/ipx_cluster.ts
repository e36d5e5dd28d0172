/**
 * Starting and stopping local ipx clusters for the benchmark, through the `./ipx` launcher as a
 * user would, and reading engine memory from `/proc`.
 *
 * Every function uses the profiles under `$IPX_DIR`; the benchmark points it at a temp dir.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { Client } from "../../mod.ts";

/** The `./ipx` launcher of this checkout. */
export const IPX = fileURLToPath(new URL("../../ipx", import.meta.url));

/** What `ipx cluster start` records in `$IPX_DIR/profile_<p>/security/ipx-cluster.json`. */
export interface ClusterRecord {
  /** Profile. */
  profile: string;
  /** Pid of the process running the controller. */
  pid: number;
  /** Engine ids. */
  engineIds: number[];
  /** Engine process ids. */
  enginePids: number[];
  /** Where the controller listens. */
  address: string;
}

/**
 * The directory of a profile.
 *
 * @param profile The profile name.
 */
export function profileDir(profile: string): string {
  const base = Deno.env.get("IPX_DIR");
  if (!base) throw new Error("IPX_DIR must be set for the benchmark");
  return `${base}/profile_${profile}`;
}

/**
 * Reads the cluster record of a profile.
 *
 * @param profile The profile name.
 */
export async function readClusterRecord(profile: string): Promise<ClusterRecord> {
  const text = await Deno.readTextFile(`${profileDir(profile)}/security/ipx-cluster.json`);
  return JSON.parse(text) as ClusterRecord;
}

async function ipx(args: string[], stdout: "piped" | "null" = "piped"): Promise<string> {
  const out = await new Deno.Command(IPX, { args, stdout, stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `ipx ${args.join(" ")} failed (exit ${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return text;
}

/**
 * `ipx cluster start --n N --daemon` and a connected client waiting for all engines.
 *
 * @param profile Profile name.
 * @param n Engines.
 * @param tls Whether the controller uses TLS.
 * @param ipc Whether engines and the client use the local Unix socket (else TCP/TLS).
 * @param db Whether the controller keeps its history on disk (else `--no-db`).
 * @returns The client (caller closes it) and the cluster record.
 */
export async function startDaemonCluster(
  profile: string,
  n: number,
  tls: boolean,
  ipc = true,
  db = true,
): Promise<{ client: Client; record: ClusterRecord }> {
  const args = ["cluster", "start", "--n", String(n), "--daemon", "--profile", profile];
  if (!tls) args.push("--no-tls");
  if (!ipc) args.push("--no-ipc");
  if (!db) args.push("--no-db");
  await ipx(args);
  const client = await Client.connect({ profile });
  await client.waitForEngines(n);
  return { client, record: await readClusterRecord(profile) };
}

/**
 * `ipx cluster stop` (ignores "no cluster running").
 *
 * @param profile Profile name.
 */
export async function stopCluster(profile: string): Promise<void> {
  try {
    await ipx(["cluster", "stop", "--profile", profile]);
  } catch {
    // not running
  }
}

/** What {@linkcode watchFor} reports. */
export interface Watch {
  /** Whether the text appeared (false once the stream ended without it). */
  found: Promise<boolean>;
  /** The stream's end. */
  done: Promise<void>;
}

/**
 * Reads a child's output to its end (after the text too, so the child never writes into a
 * closed pipe) and says when `text` first appears in it.
 *
 * @param stream The child's stdout or stderr.
 * @param text What to look for.
 */
export function watchFor(stream: ReadableStream<Uint8Array>, text: string): Watch {
  const found = Promise.withResolvers<boolean>();
  const done = (async () => {
    const decoder = new TextDecoder();
    let buf = "";
    let seen = false;
    for await (const chunk of stream) {
      if (seen) continue;
      buf += decoder.decode(chunk, { stream: true });
      if (buf.includes(text)) {
        seen = true;
        found.resolve(true);
      }
    }
    found.resolve(false);
  })();
  return { found: found.promise, done };
}

/** A foreground `ipx cluster start` started by {@linkcode timeForegroundCluster}. */
export interface ForegroundCluster {
  /** Seconds from spawning `ipx cluster start` to its "cluster ready" line. */
  readySeconds: number;
  /** Seconds from spawning to a new client seeing every engine registered. */
  clientSeconds: number;
  /** The connected client. */
  client: Client;
  /** The cluster record. */
  record: ClusterRecord;
  /** Stops the cluster (SIGTERM, then waits for the process). */
  stop(): Promise<void>;
}

/**
 * Starts `ipx cluster start --n N` in the foreground and times it: to the "cluster ready" line,
 * then to a client connected and seeing all N engines.
 *
 * @param profile Profile name.
 * @param n Engines.
 * @param tls Whether the controller uses TLS.
 * @param timeoutMs Bound on the start.
 */
export async function timeForegroundCluster(
  profile: string,
  n: number,
  tls: boolean,
  timeoutMs = 180_000,
): Promise<ForegroundCluster> {
  const args = ["cluster", "start", "--n", String(n), "--profile", profile];
  if (!tls) args.push("--no-tls");
  const t0 = performance.now();
  const child = new Deno.Command(IPX, { args, stdout: "piped", stderr: "piped", stdin: "null" })
    .spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 30_000);
    await child.status;
    clearTimeout(timer);
  };
  let stderr = "";
  const errDone = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      if (stderr.length < 20_000) stderr += decoder.decode(chunk, { stream: true });
    }
  })();
  const { found: ready, done: outDone } = watchFor(child.stdout, "cluster ready");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((r) => timer = setTimeout(() => r(false), timeoutMs));
  const ok = await Promise.race([ready, timeout]);
  clearTimeout(timer);
  const readySeconds = (performance.now() - t0) / 1000;
  if (!ok) {
    await stop();
    await errDone.catch(() => {});
    throw new Error(`ipx cluster start --n ${n} did not become ready: ${stderr.slice(-2000)}`);
  }
  const client = await Client.connect({ profile });
  await client.waitForEngines(n);
  const clientSeconds = (performance.now() - t0) / 1000;
  return {
    readySeconds,
    clientSeconds,
    client,
    record: await readClusterRecord(profile),
    stop: async () => {
      await client.close().catch(() => {});
      await stop();
      await Promise.all([errDone.catch(() => {}), outDone.catch(() => {})]);
    },
  };
}

/**
 * Resident memory of a process, from `/proc/<pid>/status` (VmRSS).
 *
 * @param pid The process.
 * @returns Kibibytes, or 0 when the process is gone.
 */
export function rssKb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
