/**
 * `ipx controller`: run the hub for a profile until SIGINT/SIGTERM.
 *
 * @module
 */

import { Command } from "commander";
import { profilePaths } from "../lib/profile/mod.ts";
import { openLog } from "./_log.ts";
import {
  DEAD_AFTER_OPTION,
  HEARTBEAT_OPTION,
  HWM_HELP,
  MAX_FRAME_HELP,
  MAX_FRAME_MB,
  parseHwm,
  parseIntAtLeast,
  parseLiveness,
  parseMaxFrameMb,
  UsageError,
} from "./_usage.ts";

/** Options of `ipx controller`, as parsed. */
export interface ControllerCliOptions {
  profile: string;
  ip: string;
  port: string;
  location?: string;
  tls: boolean;
  ipc: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  heartbeatMs?: string;
  deadAfterMs?: string;
  maxFrameMb?: string;
  frameTimeoutMs?: string;
  maxPendingAuth?: string;
  restoreGraceMs?: string;
  hwm?: string;
  db: boolean;
  maxRecords?: string;
  maxResultMb?: string;
}

/**
 * Runs a controller in the foreground until a signal or a client's shutdown request.
 *
 * @param o Parsed options.
 * @returns Exit code.
 */
export async function runControllerCommand(o: ControllerCliOptions): Promise<number> {
  const checks: [string, string | undefined, number][] = [
    ["--port", o.port, 0],
    ["--restore-grace-ms", o.restoreGraceMs, 0],
    ["--max-records", o.maxRecords, 1],
    ["--max-result-mb", o.maxResultMb, 1],
    ["--frame-timeout-ms", o.frameTimeoutMs, 1],
    ["--max-pending-auth", o.maxPendingAuth, 1],
  ];
  for (const [flag, value, min] of checks) {
    if (value !== undefined) parseIntAtLeast(flag, value, min);
  }
  const liveness = parseLiveness(o);
  if (Number(o.port) > 65535) {
    throw new UsageError(`--port must be at most 65535 (0: any free port), got "${o.port}"`);
  }
  const maxFrameBytes = o.maxFrameMb === undefined ? undefined : parseMaxFrameMb(o.maxFrameMb);
  const hwm = o.hwm === undefined ? undefined : parseHwm(o.hwm);
  const paths = profilePaths(o.profile);
  await Deno.mkdir(paths.log, { recursive: true });
  const log = openLog(`${paths.log}/controller.log`);
  // loaded here, not at start: every ipx command loads this file (see main.ts)
  const { runController } = await import("../lib/controller/run_controller.ts");
  const running = await runController({
    profile: o.profile,
    ip: o.ip,
    port: Number(o.port),
    ...(o.location ? { location: o.location } : {}),
    noTls: !o.tls,
    ...(o.ipc ? {} : { noIpc: true }),
    ...(o.tlsCert ? { tlsCert: o.tlsCert } : {}),
    ...(o.tlsKey ? { tlsKey: o.tlsKey } : {}),
    ...(o.tlsCa ? { tlsCa: o.tlsCa } : {}),
    ...liveness,
    ...(maxFrameBytes ? { maxFrameBytes } : {}),
    ...(o.frameTimeoutMs ? { frameTimeoutMs: Number(o.frameTimeoutMs) } : {}),
    ...(o.maxPendingAuth ? { maxPendingAuth: Number(o.maxPendingAuth) } : {}),
    ...(o.restoreGraceMs ? { restoreGraceMs: Number(o.restoreGraceMs) } : {}),
    ...(hwm !== undefined ? { hwm } : {}),
    ...(o.db ? {} : { noDb: true }),
    storeLimits: {
      ...(o.maxRecords ? { maxRecords: Number(o.maxRecords) } : {}),
      ...(o.maxResultMb ? { maxBytes: Number(o.maxResultMb) * 1024 * 1024 } : {}),
    },
    log,
  });
  // listen for signals before saying "ready": a SIGTERM right after it still stops cleanly
  const stop = Promise.withResolvers<string>();
  const onSignal = (sig: Deno.Signal) => () => stop.resolve(sig);
  const handlers = (["SIGINT", "SIGTERM"] as const).map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  // where it listens, and whether other machines can use its files (not from loopback)
  const { readyLine } = await import("../lib/controller/reachability.ts");
  console.log(readyLine({
    listen: running.server.hostname,
    host: running.info.host,
    port: running.info.port,
    transport: running.info.transport,
    engineFile: running.engineFile,
  }));
  running.controller.shutdownRequested.then(() => stop.resolve("a client's shutdown request"));
  const why = await stop.promise;
  log("info", `stopping (${why})`);
  for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
  await running.stop();
  log("info", "controller stopped; connection files removed");
  log.close();
  return 0;
}

/** Builds the `ipx controller` command. */
export function controllerCommand(): Command {
  return new Command("controller")
    .description("run the controller (the hub engines and clients connect to) for a profile")
    .option("--profile <name>", "profile to use", "default")
    .option(
      "--ip <addr>",
      "address to listen on: the default, loopback, is reachable from this machine only; " +
        "0.0.0.0 (or ::) for all addresses, so that other machines can connect",
      "127.0.0.1",
    )
    .option("--port <n>", "port to listen on (0 = pick a free one)", "0")
    .option(
      "--location <host>",
      "name or address engines and clients connect to, written into the connection files " +
        "(default: the --ip address, or this machine's name with 0.0.0.0); it may differ from " +
        "--ip (a name for it, or a NAT or forward that leads to it)",
    )
    .option("--no-tls", "plain TCP instead of TLS (trusted networks only)")
    .option(
      "--no-ipc",
      "no local Unix socket: engines and clients on this machine use TCP/TLS as well",
    )
    .option("--tls-cert <file>", "use this server certificate (PEM) instead of the generated one")
    .option("--tls-key <file>", "private key (PEM) of --tls-cert")
    .option("--tls-ca <file>", "CA certificate (PEM) clients should trust for --tls-cert")
    .option(...HEARTBEAT_OPTION)
    .option(...DEAD_AFTER_OPTION)
    .option(
      "--restore-grace-ms <n>",
      "after a restart, how long engines of the previous run have to reconnect",
      "10000",
    )
    .option("--hwm <n>", HWM_HELP, "auto")
    .option("--no-db", "keep task records and the engine registry in memory only")
    .option("--max-records <n>", "task records kept (oldest finished dropped first)", "100000")
    .option("--max-result-mb <n>", "result bytes kept in the task records, in MiB", "1024")
    .option("--max-frame-mb <n>", MAX_FRAME_HELP, String(MAX_FRAME_MB))
    .option(
      "--frame-timeout-ms <n>",
      "time a message has to arrive once started, plus 1 ms per KB (engines and clients too)",
      "30000",
    )
    .option(
      "--max-pending-auth <n>",
      "most connections held while they authenticate (a flood closes the oldest)",
      "128",
    )
    .action(async (o: ControllerCliOptions) => {
      Deno.exitCode = await runControllerCommand(o);
    });
}
