/**
 * A live cluster for security and sandbox tests: a real `ipx controller` process in a temporary
 * IPX_DIR, optionally real `ipx engine` processes, a connected client, and raw peers aimed at
 * the controller's port. Everything is stopped and removed on dispose.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Client } from "../mod.ts";
import { type ConnectionInfo, readConnectionFile } from "../lib/protocol/connection_file.ts";
import { IpxProcess } from "./_helpers/ipx_cli.ts";
import { RawPeer, type RawPeerTarget } from "./_helpers/raw_peer.ts";

/** The line `ipx controller` prints once it listens. */
export const READY = /ipx controller ready on (\S+):(\d+) \((tls|tcp)\)/;

/** Options of {@linkcode startLiveCluster}. */
export interface LiveClusterOptions {
  /** TLS (the default) or plain TCP. @default true */
  tls?: boolean;
  /** Engine processes to start (0 = none). @default 0 */
  engines?: number;
  /** Extra arguments of `ipx controller`. @default [] */
  controllerArgs?: string[];
  /**
   * Let engines and the client use the controller's local Unix socket. Off by default: these
   * tests check the network path (TCP/TLS) that engines on other machines use.
   * @default false
   */
  ipc?: boolean;
}

/** A running cluster. */
export interface LiveCluster extends AsyncDisposable {
  /** The IPX_DIR. */
  dir: string;
  /** The profile's security dir. */
  security: string;
  /** The engines' data dir. */
  dataDir: string;
  /** Client connection file. */
  clientFile: string;
  /** Engine connection file. */
  engineFile: string;
  /** Contents of the client connection file. */
  info: ConnectionInfo;
  /** The controller process (its output lines are collected). */
  controller: IpxProcess;
  /** The engine supervisor process, when engines were asked for. */
  engines: IpxProcess | undefined;
  /** A client connected with the client connection file. */
  client: Client;
  /** Where raw peers connect. */
  target: RawPeerTarget;
  /**
   * Waits for a controller output line matching `re` (past or future).
   *
   * @param re Pattern.
   * @param timeoutMs Fails after this long, showing the controller's last lines. @default 15000
   */
  waitLog(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Opens a raw peer to the controller. */
  rawPeer(): Promise<RawPeer>;
  /** Runs `apply` on every engine and checks the answer (the cluster still serves). */
  probe(): Promise<void>;
  /** Resident memory of the controller process, in KiB (from /proc). */
  rssKib(): Promise<number>;
}

/**
 * Reads `VmRSS` of a process from `/proc/<pid>/status`.
 *
 * @param pid The process.
 * @param field Which line. @default "VmRSS"
 * @returns KiB.
 */
export async function procStatusKib(pid: number, field = "VmRSS"): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!m) throw new Error(`Cannot read ${field} of process ${pid}: no such line in its status`);
  return Number(m[1]);
}

/**
 * Waits for an output line of `process`, failing with its last lines after `timeoutMs`.
 *
 * @param process The process.
 * @param re Pattern.
 * @param timeoutMs Deadline.
 * @returns The match.
 */
export async function withDeadline(
  process: IpxProcess,
  re: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const tail = process.lines.slice(-15).join("\n");
      reject(new Error(`No line matching ${re} within ${timeoutMs} ms; last lines:\n${tail}`));
    }, timeoutMs);
  });
  const found = process.waitFor(re);
  found.catch(() => {}); // a miss is reported by the deadline, not by the exit of the process
  try {
    return await Promise.race([found, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts a controller (and engines) in a fresh IPX_DIR and connects a client.
 *
 * @param options TLS, engine count, extra controller arguments.
 * @returns The cluster; dispose it to stop everything.
 */
export async function startLiveCluster(options: LiveClusterOptions = {}): Promise<LiveCluster> {
  const dir = await Deno.makeTempDir({ prefix: "ipx_sec_" });
  const security = `${dir}/profile_default/security`;
  const clientFile = `${security}/ipx-client.json`;
  const engineFile = `${security}/ipx-engine.json`;
  const tls = options.tls ?? true;
  const stack = new AsyncDisposableStack();
  stack.defer(() => Deno.remove(dir, { recursive: true }).catch(() => {}));
  try {
    const controller = stack.use(
      new IpxProcess(
        dir,
        "controller",
        ...(tls ? [] : ["--no-tls"]),
        ...(options.ipc ? [] : ["--no-ipc"]),
        "--heartbeat-ms",
        "200",
        ...(options.controllerArgs ?? []),
      ),
    );
    await controller.waitFor(READY);
    const n = options.engines ?? 0;
    const engines = n > 0 ? stack.use(new IpxProcess(dir, "engine", "--n", String(n))) : undefined;
    const info = await readConnectionFile(clientFile);
    const client = await Client.connect({ file: clientFile });
    stack.defer(() => client.close());
    if (n > 0) await client.waitForEngines(n, { timeoutMs: 60_000 });
    const target: RawPeerTarget = {
      host: info.host,
      port: info.port,
      transport: info.transport,
      ...(info.tlsCaPem ? { tlsCaPem: info.tlsCaPem } : {}),
      ...(info.tlsCertFingerprint ? { tlsCertFingerprint: info.tlsCertFingerprint } : {}),
    };
    const moved = stack.move();
    return {
      dir,
      security,
      dataDir: `${dir}/profile_default/data`,
      clientFile,
      engineFile,
      info,
      controller,
      engines,
      client,
      target,
      rawPeer: () => RawPeer.open(target),
      waitLog: (re, timeoutMs = 15_000) => withDeadline(controller, re, timeoutMs),
      async probe() {
        const ids = client.ids;
        assert.deepEqual(
          await client.directView().apply((x: number) => x * 2, 21),
          ids.map(() => 42),
        );
      },
      rssKib: () => procStatusKib(controller.child.pid),
      [Symbol.asyncDispose]: () => moved.disposeAsync(),
    };
  } catch (error) {
    await stack.disposeAsync();
    throw error;
  }
}
