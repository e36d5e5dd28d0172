/**
 * The layout of a profile directory.
 *
 * @module
 */

import { join } from "node:path";
import { ipxDir } from "./ipx_dir.ts";
import { validateProfileName } from "./profile_name.ts";

/** Every path inside one profile. Nothing here touches the file system. */
export interface ProfilePaths {
  /** The profile name. */
  name: string;
  /** `<base>/profile_<name>` */
  dir: string;
  /** `<dir>/security`: connection files and TLS material (mode 0700). */
  security: string;
  /** `<dir>/log` */
  log: string;
  /** `<dir>/data` */
  data: string;
  /** `<security>/ipx-client.json`: the connection file for clients. */
  clientFile: string;
  /** `<security>/ipx-engine.json`: the connection file for engines. */
  engineFile: string;
  /** `<dir>/ipx-controller.pid`: the controller's pid lock. */
  pidFile: string;
  /** `<dir>/ipx.sqlite`: the controller's result database. */
  dbFile: string;
  /** `<dir>/history`: the REPL's history. */
  historyFile: string;
}

/**
 * Computes the paths of a profile.
 *
 * @param name The profile name.
 * @param base The ipx base directory; defaults to {@linkcode ipxDir}.
 * @returns The profile's paths.
 * @throws {ProfileNameError} for an invalid name.
 * @example Usage
 * ```ts ignore
 * profilePaths("default", "/home/me/.ipx").clientFile;
 * // "/home/me/.ipx/profile_default/security/ipx-client.json"
 * ```
 */
export function profilePaths(name = "default", base?: string): ProfilePaths {
  validateProfileName(name);
  const dir = join(base ?? ipxDir(), `profile_${name}`);
  const security = join(dir, "security");
  return {
    name,
    dir,
    security,
    log: join(dir, "log"),
    data: join(dir, "data"),
    clientFile: join(security, "ipx-client.json"),
    engineFile: join(security, "ipx-engine.json"),
    pidFile: join(dir, "ipx-controller.pid"),
    dbFile: join(dir, "ipx.sqlite"),
    historyFile: join(dir, "history"),
  };
}
