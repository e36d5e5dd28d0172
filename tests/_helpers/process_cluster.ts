/**
 * A real cluster for fault tests: an `ipx controller` process and an `ipx engine --n N`
 * supervisor process (with its engine processes) in a temporary IPX_DIR, with fast heartbeats.
 * Every process it starts is stopped on dispose, and the dispose fails the test if any
 * process of the cluster is left behind.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Client } from "../../lib/client/client.ts";
import { IpxProcess, processesMatching } from "./ipx_cli.ts";

/** The controller's ready line: host, port, transport. */
export const READY = /ipx controller ready on (\S+):(\d+) \((tls|tcp)\)/;

/** Options of {@linkcode startProcessCluster}. */
export interface ProcessClusterOptions {
  /** Engines to start. @default 2 */
  engines?: number;
  /** Pass `--restart` to the engine supervisor. @default false */
  restart?: boolean;
  /** @default 100 */
  heartbeatMs?: number;
  /** @default 600 */
  deadAfterMs?: number;
  /** @default 10000 */
  restoreGraceMs?: number;
  /** Extra controller arguments. */
  controllerArgs?: string[];
  /** Extra `ipx engine` arguments. */
  engineArgs?: string[];
}

/** A running process cluster. */
export interface ProcessCluster extends AsyncDisposable {
  /** The IPX_DIR. */
  dir: string;
  /** Client connection file. */
  clientFile: string;
  /** The controller process (replaced by {@linkcode ProcessCluster.restartController}). */
  controller: IpxProcess;
  /** The controller's port. */
  port: number;
  /** The engine supervisor process. */
  engines: IpxProcess;
  /** Connects a client (closed on dispose). */
  connect(): Promise<Client>;
  /**
   * Kills the controller (SIGKILL by default) and starts a new one on the same profile.
   *
   * @param signal How to stop the old one.
   * @param between Runs after the old one is gone, before the new one starts.
   * @returns The new controller's port.
   */
  restartController(signal?: Deno.Signal, between?: () => unknown): Promise<number>;
  /** Pid of an engine process by engine id, from a client's view. */
  pidOf(client: Client, engineId: number): number;
}

/**
 * Starts a controller and engines, and waits until the engines registered.
 *
 * @param options Engine count and liveness timing.
 */
export async function startProcessCluster(
  options: ProcessClusterOptions = {},
): Promise<ProcessCluster> {
  const n = options.engines ?? 2;
  const dir = await Deno.makeTempDir({ prefix: "ipx_fault_" });
  const clientFile = `${dir}/profile_default/security/ipx-client.json`;
  const controllerArgs = [
    "controller",
    "--heartbeat-ms",
    String(options.heartbeatMs ?? 100),
    "--dead-after-ms",
    String(options.deadAfterMs ?? 600),
    "--restore-grace-ms",
    String(options.restoreGraceMs ?? 10_000),
    ...(options.controllerArgs ?? []),
  ];
  const clients: Client[] = [];
  const processes: IpxProcess[] = [];
  const spawn = (...args: string[]) => {
    const p = new IpxProcess(dir, ...args);
    processes.push(p);
    return p;
  };
  let controller = spawn(...controllerArgs);
  let engines: IpxProcess | undefined;
  const cleanup = async () => {
    for (const c of clients) await c.close().catch(() => {});
    // engines first (they would reconnect forever), then the controller
    for (const p of [...processes].reverse()) await p.stop("SIGTERM");
    // anything of this cluster still alive is a leak: kill it, then fail
    const left = await processesMatching(dir);
    for (const pid of left) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    assert.deepEqual(left, [], `processes left behind: ${left.join(", ")}`);
  };
  try {
    const m = await controller.waitFor(READY);
    let port = Number(m[2]);
    engines = spawn(
      "engine",
      "--n",
      String(n),
      ...(options.restart ? ["--restart"] : []),
      ...(options.engineArgs ?? []),
    );
    const connect = async () => {
      const c = await Client.connect({ file: clientFile, timeoutMs: 20_000 });
      clients.push(c);
      return c;
    };
    const probe = await connect();
    await probe.waitForEngines(n, { timeoutMs: 60_000 });
    const cluster: ProcessCluster = {
      dir,
      clientFile,
      get controller() {
        return controller;
      },
      get port() {
        return port;
      },
      engines,
      connect,
      async restartController(signal: Deno.Signal = "SIGKILL", between?: () => unknown) {
        await controller.stop(signal);
        await between?.();
        controller = spawn(...controllerArgs);
        port = Number((await controller.waitFor(READY))[2]);
        return port;
      },
      pidOf(client: Client, engineId: number) {
        const info = client.engines.find((e) => e.id === engineId);
        assert(info, `engine ${engineId} is not registered (ids: ${client.ids.join(",")})`);
        return info.pid;
      },
      [Symbol.asyncDispose]: cleanup,
    };
    await probe.close();
    clients.splice(clients.indexOf(probe), 1);
    return cluster;
  } catch (error) {
    await cleanup().catch(() => {});
    throw error;
  }
}

/**
 * Resolves with the engine id once the result prints `marker` on stdout (the task started).
 *
 * @param ar Something with `onOutput`.
 * @param marker Text to wait for.
 */
export function whenPrinted(
  ar: { onOutput(l: (c: { engineId: number; text: string }) => void): () => void },
  marker: string,
): Promise<number> {
  const seen = Promise.withResolvers<number>();
  const off = ar.onOutput((chunk) => {
    if (chunk.text.includes(marker)) seen.resolve(chunk.engineId);
  });
  return seen.promise.finally(off);
}

/**
 * Resolves when a client sees an engine event matching `test`.
 *
 * @param client The client.
 * @param test Which event.
 */
export function whenEngine<T>(
  client: Client,
  test: (e: Parameters<Parameters<Client["onEngine"]>[0]>[0]) => T | undefined,
): Promise<T> {
  const got = Promise.withResolvers<T>();
  const off = client.onEngine((e) => {
    const v = test(e);
    if (v !== undefined) got.resolve(v);
  });
  return got.promise.finally(off);
}
