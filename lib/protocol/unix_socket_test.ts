import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  connectUnix,
  listenUnix,
  removeStaleSockets,
  socketName,
  UNIX_PATH_MAX_BYTES,
  unixPathFits,
  unixSocketAllowed,
} from "./unix_socket.ts";
import { writeAll } from "./transport.ts";
import { leaveStaleSocket, withTempDir } from "./testing.ts";

Deno.test("listenUnix/connectUnix: local connections both ways, owner-only socket, removed at close", async () => {
  await withTempDir("ipx_unix_", async (dir) => {
    const path = `${dir}/ipx.sock`;
    const listener = listenUnix(path);
    try {
      assert.equal(Deno.lstatSync(path).isSocket, true);
      assert.equal(Deno.lstatSync(path).mode! & 0o777, 0o600);
      const [client, server] = await Promise.all([connectUnix(path), listener.accept()]);
      assert.ok(server);
      assert.equal(client.local, true);
      assert.equal(server.local, true);
      await writeAll(client, new Uint8Array([1, 2, 3]));
      const buf = new Uint8Array(8);
      let got = 0;
      while (got < 3) got += (await server.read(buf.subarray(got)))!;
      assert.deepEqual([...buf.subarray(0, 3)], [1, 2, 3]);
      client.close();
      assert.equal(await server.read(buf), null);
      server.close();
      server.close(); // twice is fine
    } finally {
      listener.close();
    }
    assert.equal(await listener.accept(), null);
    assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
  });
});

Deno.test("listenUnix replaces a stale socket but never deletes another kind of file", async () => {
  await withTempDir("ipx_unix_", async (dir) => {
    const path = `${dir}/ipx.sock`;
    await leaveStaleSocket(path);
    await assert.rejects(connectUnix(path), Deno.errors.ConnectionRefused);
    const stale = listenUnix(path); // replaces it
    await assert.rejects(connectUnix(`${dir}/absent.sock`), Deno.errors.NotFound);
    const [c, s] = await Promise.all([connectUnix(path), stale.accept()]);
    c.close();
    s?.close();
    stale.close();
    const regular = `${dir}/notes.txt`;
    Deno.writeTextFileSync(regular, "keep me");
    assert.throws(() => listenUnix(regular), /exists and is not a socket/);
    assert.equal(Deno.readTextFileSync(regular), "keep me");
  });
});

Deno.test("unixPathFits: up to UNIX_PATH_MAX_BYTES bytes", () => {
  assert.equal(unixPathFits("/" + "a".repeat(UNIX_PATH_MAX_BYTES - 1)), true);
  assert.equal(unixPathFits("/" + "a".repeat(UNIX_PATH_MAX_BYTES)), false);
  assert.equal(unixPathFits("/" + "é".repeat(60)), false); // 121 bytes in UTF-8
  assert.throws(
    () => listenUnix("/tmp/" + "x".repeat(200)),
    new RegExp(`longer than ${UNIX_PATH_MAX_BYTES} bytes`),
  );
});

Deno.test("unixSocketAllowed: only with read, write and net permission for the socket", async () => {
  const path = "/tmp/ipx-perm-check.sock";
  assert.equal(unixSocketAllowed(path), true); // tests run with -A
  const module = new URL("./unix_socket.ts", import.meta.url).href;
  const code = `import { unixSocketAllowed } from ${JSON.stringify(module)};
console.log(unixSocketAllowed(${JSON.stringify(path)}));`;
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(script, code);
    const run = async (...flags: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", "--no-lock", ...flags, script],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return new TextDecoder().decode(out.stdout).trim();
    };
    assert.equal(await run(`--allow-read=${path}`, `--allow-write=${path}`), "false");
    assert.equal(await run(`--allow-read=${path}`, `--allow-net=unix:${path}`), "false");
    assert.equal(
      await run(`--allow-read=${path}`, `--allow-write=${path}`, `--allow-net=unix:${path}`),
      "true",
    );
  } finally {
    await Deno.remove(script);
  }
});

Deno.test("socketName stands for transport, host, port, CA and key; removeStaleSockets clears only those", async () => {
  const info = {
    transport: "tls" as const,
    host: "127.0.0.1",
    port: 4000,
    tlsCaPem: "CA\n",
    key: btoa("k".repeat(32)),
  };
  const name = await socketName(info);
  assert.match(name, /^ipx-[0-9a-f]{16}\.sock$/);
  assert.equal(await socketName({ ...info, tlsCaPem: "CA" }), name); // surrounding whitespace ignored
  // the same name as earlier releases gave (they hashed with node:crypto): a controller and a
  // peer of different builds of one version agree on it
  const text = `tls\n127.0.0.1\n4000\n${info.key}\nCA`;
  assert.equal(name, `ipx-${createHash("sha256").update(text).digest("hex").slice(0, 16)}.sock`);
  for (
    const other of [
      { ...info, port: 4001 },
      { ...info, host: "node7" },
      { ...info, tlsCaPem: "another CA" },
      { transport: "tcp" as const, host: info.host, port: info.port, key: info.key },
      { ...info, key: btoa("x".repeat(32)) },
    ]
  ) assert.notEqual(await socketName(other), name);
  await withTempDir("ipx_unix_", async (dir) => {
    await leaveStaleSocket(`${dir}/${name}`);
    await leaveStaleSocket(`${dir}/someone-else.sock`);
    Deno.writeTextFileSync(`${dir}/ipx-0123456789abcdef.sock`, "a regular file with that name");
    removeStaleSockets(dir);
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(left, ["ipx-0123456789abcdef.sock", "someone-else.sock"]);
  });
});
