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
export const PROTOCOL_VERSION = 3;
