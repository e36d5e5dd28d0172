/**
 * Profiles: named directories under `~/.ipx` (or `$IPX_DIR`) holding a controller's connection
 * files, logs, pid lock, result database and REPL history, plus the small file-system helpers
 * they need (atomic writes, pid locks, a security-directory guard).
 *
 * @example Usage
 * ```ts ignore
 * import { acquirePidLock, createProfile } from "./lib/profile/mod.ts";
 * const paths = await createProfile("default");
 * using lock = await acquirePidLock(paths.pidFile, { what: "ipx controller" });
 * ```
 *
 * @module
 */

export * from "./ipx_dir.ts";
export * from "./pid_lock.ts";
export * from "./profile_dir.ts";
export * from "./profile_name.ts";
export * from "./profile_paths.ts";
export * from "./secure_dir.ts";
export * from "../protocol/write_file_atomic.ts";
