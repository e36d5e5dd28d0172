/**
 * Version numbers exchanged in every handshake and written into connection files.
 *
 * @module
 */

/** The ipx program version (kept equal to deno.json's "version"). */
export const IPX_VERSION = "0.1.0";

/**
 * The wire protocol version. Peers with different protocol versions refuse each other at the
 * handshake with a {@linkcode VersionMismatchError} naming both versions.
 */
export const PROTOCOL_VERSION = 4; // 4: codec extension 8 (RemoteRepr)

/** Versions a side announces (overridable for tests). */
export interface Versions {
  /** Program version. */
  ipxVersion: string;
  /** Wire protocol version. */
  protocolVersion: number;
}

/** This program's versions. */
export const LOCAL_VERSIONS: Versions = {
  ipxVersion: IPX_VERSION,
  protocolVersion: PROTOCOL_VERSION,
};

/**
 * True when two sides can talk: same protocol version and same major.minor program version.
 *
 * @param a One side.
 * @param b The other side.
 */
export function versionsCompatible(a: Versions, b: Versions): boolean {
  const mm = (v: string) => v.split(".").slice(0, 2).join(".");
  return a.protocolVersion === b.protocolVersion && mm(a.ipxVersion) === mm(b.ipxVersion);
}
