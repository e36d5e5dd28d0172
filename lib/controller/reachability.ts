/**
 * What `ipx controller` says when it is ready: where it listens, the address its connection
 * files name (`--location`), and whether engines on other machines can use those files. A
 * controller listening on loopback only is reachable from its own machine alone, so it says so
 * and how to change that, instead of telling the user to copy its file to other machines.
 *
 * @module
 */

import { isLoopback } from "../protocol/loopback.ts";

/** What {@linkcode readyLine} describes. */
export interface ReadyFacts {
  /** The address it listens on (`0.0.0.0` or `::`: all of this machine's addresses). */
  listen: string;
  /** The host its connection files name: `--location`, else the listen address or this machine's name. */
  host: string;
  /** The port it listens on. */
  port: number;
  /** TLS or plain TCP. */
  transport: "tls" | "tcp";
  /** The engine connection file (to copy to other machines). */
  engineFile: string;
}

/**
 * Whether an `--ip` listens on every address of the machine.
 *
 * @param ip The address.
 * @returns True for `0.0.0.0`, `::` and `*`.
 */
export function isWildcard(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::" || ip === "[::]" || ip === "*";
}

/**
 * The line `ipx controller` prints once it listens (it starts `ipx controller ready on
 * HOST:PORT (tls|tcp)`, HOST being the listen address, or the files' host when listening on all
 * addresses).
 *
 * @param f Where it listens and what its files say.
 * @returns One line, with what to do when other machines cannot use the files.
 */
export function readyLine(f: ReadyFacts): string {
  const wildcard = isWildcard(f.listen);
  const head = `ipx controller ready on ${wildcard ? f.host : f.listen}:${f.port} (${f.transport})`;
  const named = `${f.host}:${f.port}`;
  if (isLoopback(f.listen)) {
    if (isLoopback(f.host)) {
      return `${head}, reachable from this machine only (it listens on loopback); to start ` +
        `engines on other machines, restart it with --ip 0.0.0.0 --location HOST (HOST: the ` +
        `name or address they reach this machine by) and copy ${f.engineFile} to them`;
    }
    return `${head}; WARNING: it listens on loopback only, so other machines cannot reach it ` +
      `at ${named}, the address its files name (--location), unless something you set up ` +
      `forwards that address here (a tunnel or proxy); to let them connect directly, restart ` +
      `it with --ip 0.0.0.0 --location ${f.host}`;
  }
  if (isLoopback(f.host)) {
    return `${head}; WARNING: its files name ${named}, a loopback address, so they work on ` +
      `this machine only; for engines on other machines, restart it with --location HOST ` +
      `(HOST: the name or address they reach this machine by)`;
  }
  const where = wildcard
    ? `, listening on all addresses (${f.listen})`
    : f.host !== f.listen
    ? `; its files name ${named} (--location), where engines and clients connect`
    : "";
  return `${head}${where}; copy ${f.engineFile} to other machines to start engines there`;
}
