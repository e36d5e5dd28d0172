import assert from "node:assert/strict";
import { Client } from "./client.ts";
import { type ConnectionInfo, writeConnectionFile } from "../protocol/connection_file.ts";
import { ConnectionError } from "../protocol/errors.ts";
import { leaveStaleSocket } from "../protocol/testing.ts";
import { socketName } from "../protocol/unix_socket.ts";
import { IPX_VERSION, PROTOCOL_VERSION } from "../protocol/version.ts";

// Made here, with every permission: the tests below run without --allow-write, as a library
// client started with `deno run --allow-read --allow-net --allow-env` does.
const dir = Deno.makeTempDirSync({ prefix: "ipx_client_" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const port = (() => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  probe.close();
  return probe.addr.port; // nobody listens there: the TCP connect is refused
})();
const base: ConnectionInfo = {
  role: "client",
  ipxVersion: IPX_VERSION,
  protocolVersion: PROTOCOL_VERSION,
  transport: "tcp",
  host: "127.0.0.1",
  port,
  addresses: [`127.0.0.1:${port}`],
  location: "here",
  key: btoa("k".repeat(32)),
  profile: "default",
  controllerPid: 1,
  createdAt: new Date().toISOString(),
};
const socket = `${dir}/${await socketName(base)}`;
await leaveStaleSocket(socket);
const hereFile = `${dir}/here.json`;
await writeConnectionFile(hereFile, { ...base, ipcPath: socket });
// a file copied from another machine: its socket is not on this one
const elsewhereFile = `${dir}/elsewhere.json`;
await writeConnectionFile(elsewhereFile, {
  ...base,
  ipcPath: `${dir}/gone/${await socketName(base)}`,
});

const NO_WRITE: Deno.PermissionOptionsObject = {
  read: true,
  net: true,
  env: true,
  write: false,
};

Deno.test({
  name: "a failed connect says the local socket was skipped for want of --allow-write, and how",
  permissions: NO_WRITE,
  async fn() {
    await assert.rejects(Client.connect({ file: hereFile, timeoutMs: 2000 }), (e: unknown) => {
      assert.ok(e instanceof ConnectionError);
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
      assert.ok(
        e.message.includes(
          `The controller's local socket ${socket} was not tried: Deno connects to a Unix ` +
            `socket only with --allow-write=${dir}, which this program lacks; the socket is on ` +
            `this machine, so add --allow-write=${dir} to this program's \`deno run\``,
        ),
        e.message,
      );
      assert.equal(e.address, `127.0.0.1:${port}`);
      return true;
    });
  },
});

Deno.test({
  name: "a failed connect says nothing of a socket that is not on this machine, or with noIpc",
  permissions: NO_WRITE,
  async fn() {
    for (const options of [{ file: elsewhereFile }, { file: hereFile, noIpc: true }]) {
      await assert.rejects(Client.connect({ ...options, timeoutMs: 2000 }), (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.match(e.message, /connection refused/);
        assert.doesNotMatch(e.message, /local socket|allow-write/);
        return true;
      });
    }
  },
});
