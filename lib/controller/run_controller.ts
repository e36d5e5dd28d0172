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
import { acquirePidLock } from "../profile/mod.ts";
import { assertSecureDir, createProfile } from "../profile/mod.ts";
import { writeFileAtomic } from "../profile/mod.ts";
import { ensureCertificates, loadUserCertificates, type TlsMaterial } from "./certs.ts";
import { Controller } from "./controller.ts";
import type { Logger } from "./log.ts";
import { serve, type Server } from "./server.ts";

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
  /** Host name engines and clients should connect to. @default the bind address, or this machine's name when binding all addresses */
  location?: string;
  /** Use plain TCP (trusted networks only). @default false */
  noTls?: boolean;
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

/**
 * Starts a controller for a profile.
 *
 * @param options Profile, address, TLS, liveness timing and logger.
 */
export async function runController(options: RunControllerOptions): Promise<RunningController> {
  const log = options.log;
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
      log(
        "warn",
        "TLS is OFF (--no-tls): traffic, including code and data, travels in plain text; " +
          "frames are still authenticated. Use only on a trusted network",
      );
    }
    const controller = new Controller({
      key,
      log,
      ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
      ...(options.deadAfterMs ? { deadAfterMs: options.deadAfterMs } : {}),
      ...(options.maxFrameBytes ? { maxFrameBytes: options.maxFrameBytes } : {}),
    });
    let server: Server;
    try {
      server = await serve(controller, {
        hostname: bindIp,
        port: options.port ?? 0,
        log,
        ...(tls ? { tls: { certPem: tls.certPem, keyPem: tls.keyPem } } : {}),
      });
    } catch (error) {
      await controller.close();
      throw error;
    }
    const info: ConnectionInfo = {
      role: "client",
      ipxVersion: IPX_VERSION,
      protocolVersion: PROTOCOL_VERSION,
      transport: tls ? "tls" : "tcp",
      host: anyAddress ? location : bindIp,
      port: server.port,
      addresses: [`${server.hostname}:${server.port}`],
      location,
      key,
      ...(tls ? { tlsCaPem: tls.caCertPem, tlsFingerprint: tls.caFingerprint } : {}),
      profile: paths.name,
      controllerPid: Deno.pid,
      createdAt: new Date().toISOString(),
    };
    await writeConnectionFile(paths.clientFile, info);
    await writeConnectionFile(paths.engineFile, { ...info, role: "engine" });
    log(
      "info",
      `controller listening on ${server.hostname}:${server.port} (${info.transport}); ` +
        `engine file: ${paths.engineFile}`,
    );
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await server.close();
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
