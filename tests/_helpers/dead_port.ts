/**
 * The "dead address" check shared by CLI tests: a copy of a connection file that points at a
 * port nobody listens on must fail with a ConnectionError naming that address and a hint.
 *
 * @module
 */

import assert, { rejects } from "node:assert/strict";
import { Client, ConnectionError } from "../../mod.ts";
import { type ConnectionInfo, writeConnectionFile } from "../../lib/protocol/connection_file.ts";

/**
 * Writes `dir/dead-client.json` (`info` with a port that was just free) and checks that
 * connecting with it fails as described in the module doc.
 *
 * @param dir Where to write the file.
 * @param info The genuine connection info to copy.
 */
export async function assertDeadPortRefused(dir: string, info: ConnectionInfo): Promise<void> {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const dead = `${dir}/dead-client.json`;
  await writeConnectionFile(dead, { ...info, port: deadPort });
  await rejects(Client.connect({ file: dead, timeoutMs: 3000 }), (e: unknown) => {
    assert.ok(e instanceof ConnectionError, String(e));
    assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${deadPort}`));
    assert.match(e.message, /is the controller running/);
    return true;
  });
}
