/**
 * The host names and IPs a controller's server certificate must list (its subject alternative
 * names), normalised so that a stored certificate can be compared with a new request.
 *
 * @module
 */

/** Canonical IPs ({@linkcode canonicalIp}) and lower-case DNS names. */
export interface Hosts {
  /** IP literals in canonical form. */
  ips: Set<string>;
  /** DNS names, lower case, without a trailing dot. */
  names: Set<string>;
}

/** Listen addresses that stand for "every interface". */
const WILDCARDS = new Set(["0.0.0.0", "::", "[::]", "*"]);

/**
 * Normalises requested hosts: `127.0.0.1`, `::1` and `localhost` are always present; a wildcard
 * (`0.0.0.0`, `::`) is replaced by `localAddresses()` (interface addresses and the host name);
 * brackets and IPv6 zone ids are removed; IPs become canonical and names lower case.
 */
export function expandHosts(requested: string[], localAddresses: () => string[]): Hosts {
  const hosts: Hosts = { ips: new Set(), names: new Set() };
  const add = (raw: string) => {
    const host = raw.trim().replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
    if (host === "") return;
    const ip = canonicalIp(host);
    if (ip !== undefined) hosts.ips.add(ip);
    else hosts.names.add(host.toLowerCase().replace(/\.$/, ""));
  };
  ["127.0.0.1", "::1", "localhost"].forEach(add);
  for (const host of requested) {
    if (WILDCARDS.has(host.trim())) localAddresses().forEach(add);
    else add(host);
  }
  return hosts;
}

/**
 * Canonical text of an IP literal, or undefined if `text` is not one. IPv4 stays dotted; IPv6
 * (including `::` compression and embedded dotted quads) becomes 8 unpadded lower-case hex groups,
 * e.g. `::1` → `0:0:0:0:0:0:0:1`.
 */
export function canonicalIp(text: string): string | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split(".").map(Number);
    return parts.every((n) => n <= 255) ? parts.join(".") : undefined;
  }
  if (!text.includes(":")) return undefined;
  let hex = text;
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    const quad = canonicalIp(dotted[2] ?? "")?.split(".").map(Number);
    if (quad === undefined) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = quad;
    hex = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = hex.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string | undefined) => (s ? s.split(":") : []);
  const left = groupsOf(halves[0]);
  const right = groupsOf(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const zeros = Array<string>(halves.length === 2 ? missing : 0).fill("0");
  const groups = [...left, ...zeros, ...right];
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(16)).join(":");
}
