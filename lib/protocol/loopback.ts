/**
 * Whether a host in a connection file or an `--ip` names the loopback interface, which only
 * the machine itself can reach.
 *
 * @module
 */

/**
 * Whether `host` is a loopback address or name: `127.0.0.0/8`, `::1` (also as
 * `::ffff:127.x.y.z`, and in brackets) or `localhost`.
 *
 * @param host An IP literal or host name.
 * @returns True when only this machine can reach it.
 */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  let name: string;
  try {
    // the URL parser canonicalises IP literals: 127.1 → 127.0.0.1, 0:…:0:1 → [::1]
    name = new URL(`http://${bare.includes(":") ? `[${bare}]` : bare}/`).hostname;
  } catch {
    return false;
  }
  if (name === "localhost" || name === "localhost.") return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(name)) return true;
  return name === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name);
}
