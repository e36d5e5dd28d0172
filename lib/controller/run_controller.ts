/**
 * Running a controller for a profile: lock the profile, load or create its key and TLS
 * material, listen, write the two connection files (0600, atomically), and clean up on exit.
 *
 * @module
 */

import { hostname } from "node:os";
import { generateKey } from "../protocol/auth.ts";
import { type ConnectionInfo, writeConnectionFile } from "../protocol/connection_file.ts";
import { IPX_VERSION, PROTOCOL_VERSION } from "../protocol/version.ts";
import type { Hwm } from "../protocol/messages.ts";
import { acquirePidLock } from "../profile/mod.ts";
import { assertSecureDir, createProfile, profilePaths } from "../profile/mod.ts";
import { writeFileAtomic } from "../profile/mod.ts";
import { ensureCertificates, loadUserCertificates, type TlsMaterial } from "./certs.ts";
import { Controller } from "./controller.ts";
import { ConnectionError } from "../protocol/errors.ts";
import { fingerprintPem } from "../protocol/tls.ts";
import { readConnectionFile } from "../protocol/connection_file.ts";
import type { Logger } from "./log.ts";
import type { TaskStoreLimits } from "./task_store.ts";
import { TLS_OFF_WARNING } from "./tls_off.ts";
import { serve, type Server } from "./server.ts";
import { removeStaleSockets, socketName, unixPathFits } from "../protocol/unix_socket.ts";

/** Options of {@linkcode runController}. */
export interface RunControllerOptions {
  /** Profile name. @default "default" */
  profile?: string;
  /** Directory holding the profiles. @default $IPX_DIR or ~/.ipx */
  base?: string;
  /** Address to bind. @default "127.0.0.1" */
  ip?: string;
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /**
   * Host name or address engines and clients connect to, written into the connection files as
   * `host` whatever `ip` is (a name of the listen address, or the address of a NAT or forward
   * that leads to it). @default the listen address, or this machine's name when listening on
   * all addresses
   */
  location?: string;
  /** Use plain TCP (trusted networks only). @default false */
  noTls?: boolean;
  /**
   * Do not listen on the profile's Unix socket (`security/ipx-<id>.sock`); engines and clients on
   * this machine then use TCP/TLS too. @default false
   */
  noIpc?: boolean;
  /** User-supplied certificate files. */
  tlsCert?: string;
  /** User-supplied key file. */
  tlsKey?: string;
  /** User-supplied CA file (goes into the connection files). */
  tlsCa?: string;
  /** Heartbeat interval. */
  heartbeatMs?: number;
  /** Silence before an engine is declared dead. */
  deadAfterMs?: number;
  /** Frame size limit in bytes. */
  maxFrameBytes?: number;
  /** Time a started frame has at the least, in ms. */
  frameTimeoutMs?: number;
  /** Most connections held while they authenticate. @default 128 */
  maxPendingAuth?: number;
  /** After a restart, how long earlier engines have to re-attach. */
  restoreGraceMs?: number;
  /** Default per-engine high-water mark of load-balanced tasks. @default "auto" */
  hwm?: Hwm;
  /** Keep the state database in memory (nothing survives a restart). @default false */
  noDb?: boolean;
  /** Bounds of the task records (oldest finished ones are dropped past them). */
  storeLimits?: TaskStoreLimits;
  /** Log sink. */
  log: Logger;
}

/** A running controller with its files. */
export interface RunningController extends AsyncDisposable {
  /** The core. */
  controller: Controller;
  /** The listener. */
  server: Server;
  /** Client connection file path. */
  clientFile: string;
  /** Engine connection file path. */
  engineFile: string;
  /** What was written into the files. */
  info: ConnectionInfo;
  /** Stops everything and removes the connection files. */
  stop(): Promise<void>;
}

async function loadOrCreateKey(path: string): Promise<string> {
  try {
    const key = (await Deno.readTextFile(path)).trim();
    if (key) return key;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const key = generateKey();
  await writeFileAtomic(path, key + "\n", 0o600);
  return key;
}

/** The port the profile's controller used last time (from its database or old file), or 0. */
async function previousPort(controller: Controller, clientFile: string): Promise<number> {
  const fromDb = Number(controller.db.meta("port") ?? 0);
  if (Number.isSafeInteger(fromDb) && fromDb > 0) return fromDb;
  try {
    return (await readConnectionFile(clientFile)).port;
  } catch {
    return 0;
  }
}

/**
 * Starts a controller for a profile.
 *
 * @param options Profile, address, TLS, liveness timing and logger.
 */
export async function runController(options: RunControllerOptions): Promise<RunningController> {
  const log = options.log;
  // refuse an existing world-writable security dir before createProfile tightens its mode:
  // someone could have planted files in it
  const existing = profilePaths(options.profile ?? "default", options.base);
  if (await Deno.stat(existing.security).then(() => true, () => false)) {
    await assertSecureDir(existing.security);
  }
  const paths = await createProfile(options.profile ?? "default", options.base);
  await assertSecureDir(paths.security);
  const lock = await acquirePidLock(paths.pidFile, { what: "ipx controller" });
  try {
    const key = await loadOrCreateKey(`${paths.security}/ipx-key`);
    const ip = options.ip ?? "127.0.0.1";
    const anyAddress = ip === "0.0.0.0" || ip === "::" || ip === "*";
    const bindIp = ip === "*" ? "0.0.0.0" : ip;
    const location = options.location ?? (anyAddress ? hostname() : bindIp);
    let tls: TlsMaterial | undefined;
    if (!options.noTls) {
      if (options.tlsCert || options.tlsKey) {
        if (!options.tlsCert || !options.tlsKey) {
          throw new Error("Cannot use TLS files: give both --tls-cert and --tls-key");
        }
        tls = await loadUserCertificates({
          cert: options.tlsCert,
          key: options.tlsKey,
          ...(options.tlsCa ? { ca: options.tlsCa } : {}),
        });
      } else {
        tls = await ensureCertificates({ securityDir: paths.security, hosts: [bindIp, location] });
        if (tls.generated?.ca) {
          log("info", `created a new certificate authority for profile "${paths.name}"`);
        }
      }
    } else {
      log("warn", TLS_OFF_WARNING);
    }
    const controller = new Controller({
      key,
      log,
      db: options.noDb ? ":memory:" : paths.dbFile,
      ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
      ...(options.deadAfterMs ? { deadAfterMs: options.deadAfterMs } : {}),
      ...(options.maxFrameBytes ? { maxFrameBytes: options.maxFrameBytes } : {}),
      ...(options.frameTimeoutMs ? { frameTimeoutMs: options.frameTimeoutMs } : {}),
      ...(options.maxPendingAuth ? { maxPendingAuth: options.maxPendingAuth } : {}),
      ...(options.restoreGraceMs ? { restoreGraceMs: options.restoreGraceMs } : {}),
      ...(options.hwm !== undefined ? { hwm: options.hwm } : {}),
      ...(options.storeLimits ? { storeLimits: options.storeLimits } : {}),
    });
    // `--location` is how others reach the listen address (a name for it, or a NAT or forward
    // that leads to it), whatever that address is; `ipx controller` says when it cannot work
    const host = location;
    const transport = tls ? "tls" as const : "tcp" as const;
    // the socket's name stands for the address, CA and key written into the connection files
    const unixPath = async (port: number): Promise<string | undefined> => {
      if (options.noIpc) return undefined;
      const path = `${paths.security}/${await socketName({
        host,
        port,
        transport,
        key,
        ...(tls ? { tlsCaPem: tls.caCertPem } : {}),
      })}`;
      if (unixPathFits(path)) return path;
      log(
        "info",
        `no local socket: its path ${path} is too long for a Unix socket; engines and ` +
          `clients on this machine use TCP (a shorter IPX_DIR avoids this)`,
      );
      return undefined;
    };
    removeStaleSockets(paths.security); // left by controllers killed before they could
    let server: Server;
    try {
      const serveOn = (port: number) =>
        serve(controller, {
          hostname: bindIp,
          port,
          log,
          ...(tls ? { tls: { certPem: tls.certPem, keyPem: tls.keyPem } } : {}),
          unixPath,
        });
      const previous = options.port ? 0 : await previousPort(controller, paths.clientFile);
      if (previous) {
        // engines and copied connection files still point at the old port: take it again
        try {
          server = await serveOn(previous);
        } catch (error) {
          if (!(error instanceof ConnectionError && /in use/.test(error.message))) throw error;
          log(
            "warn",
            `port ${previous} of the previous run is in use; listening on a new port (engines ` +
              `started elsewhere need the new connection file)`,
          );
          server = await serveOn(0);
        }
      } else {
        server = await serveOn(options.port ?? 0);
      }
      controller.db.setMeta("port", String(server.port));
    } catch (error) {
      await controller.close();
      throw error;
    }
    const info: ConnectionInfo = {
      role: "client",
      ipxVersion: IPX_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      transport,
      host,
      port: server.port,
      addresses: [`${server.hostname}:${server.port}`],
      location,
      key,
      ...(tls
        ? {
          tlsCaPem: tls.caCertPem,
          tlsFingerprint: tls.caFingerprint,
          tlsCertFingerprint: await fingerprintPem(tls.certPem),
        }
        : {}),
      ...(server.unixPath ? { ipcPath: server.unixPath } : {}),
      profile: paths.name,
      controllerPid: Deno.pid,
      createdAt: new Date().toISOString(),
    };
    await writeConnectionFile(paths.clientFile, info);
    await writeConnectionFile(paths.engineFile, { ...info, role: "engine" });
    log(
      "info",
      `controller listening on ${server.hostname}:${server.port} (${info.transport})` +
        (server.unixPath ? `, and on ${server.unixPath} for this machine` : "") +
        `; engine file: ${paths.engineFile}`,
    );
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await server.close();
      controller.resetIfNoEngines();
      await controller.close();
      for (const f of [paths.clientFile, paths.engineFile]) {
        await Deno.remove(f).catch(() => {});
      }
      lock.release();
    };
    return {
      controller,
      server,
      clientFile: paths.clientFile,
      engineFile: paths.engineFile,
      info,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
