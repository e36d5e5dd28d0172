/**
 * Authentication before anything else, against a real `ipx controller` process: deadline,
 * pre-auth frame and byte limits, wrong keys (client, raw peer, engine process), and that a
 * rejected connection leaves no trace but a log line.
 */

import assert, { rejects } from "node:assert/strict";
import { AuthenticationError, Client } from "../mod.ts";
import { generateKey, generateNonce } from "../lib/protocol/auth.ts";
import { encodeValue } from "../lib/protocol/codec.ts";
import { writeConnectionFile } from "../lib/protocol/connection_file.ts";
import { encodeFrame } from "../lib/protocol/frame.ts";
import {
  PREAUTH_MAX_BYTES,
  PREAUTH_MAX_FRAME_BYTES,
  SERVER_HANDSHAKE_TIMEOUT_MS,
} from "../lib/protocol/handshake.ts";
import { IPX_VERSION, PROTOCOL_VERSION } from "../lib/protocol/version.ts";
import { HandshakeRefusedError } from "./_helpers/raw_peer.ts";
import { runIpx } from "./_helpers/ipx_cli.ts";
import { startLiveCluster } from "./security_fixture.ts";

function helloFrame(): Uint8Array {
  return encodeFrame(encodeValue({
    type: "hello",
    role: "client",
    ipxVersion: IPX_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    nonce: generateNonce(),
  }));
}

function rejectedLine(port: number): RegExp {
  return new RegExp(`WARN\\s+rejected connection from 127\\.0\\.0\\.1:${port}: (.*)$`);
}

Deno.test("pre-auth limits of a real controller close unauthenticated connections", async (t) => {
  await using c = await startLiveCluster();

  await t.step(
    "a connection that sends nothing is closed at the 2 s deadline and logged",
    async () => {
      await using peer = await c.rawPeer(); // TLS established, then silence
      const closed = await peer.waitClosed();
      assert.ok(
        closed.ms >= SERVER_HANDSHAKE_TIMEOUT_MS - 100 &&
          closed.ms < SERVER_HANDSHAKE_TIMEOUT_MS + 1500,
        `closed after ${closed.ms.toFixed(0)} ms`,
      );
      const [, why] = await c.waitLog(rejectedLine(peer.localPort));
      assert.match(why!, /did not complete within 2000 ms/);
    },
  );

  await t.step("a hello trickled byte by byte is closed at the 2 s deadline", async () => {
    await using peer = await c.rawPeer();
    const hello = helloFrame();
    const start = performance.now();
    const closed = peer.waitClosed(start);
    let sent = 0;
    let done = false;
    void closed.then(() => done = true);
    // one byte per 100 ms: the whole hello would take more than 8 s
    while (!done && sent < hello.length) {
      if (!await peer.write(hello.subarray(sent, sent + 1))) break;
      sent++;
      await Promise.race([closed, new Promise((r) => setTimeout(r, 100))]);
    }
    const { ms } = await closed;
    assert.ok(sent < hello.length, "the hello must not have completed");
    assert.ok(ms < SERVER_HANDSHAKE_TIMEOUT_MS + 1500, `closed after ${ms.toFixed(0)} ms`);
    const [, why] = await c.waitLog(rejectedLine(peer.localPort));
    assert.match(why!, /did not complete within 2000 ms/);
  });

  await t.step(
    "a pre-auth frame header over 4 KiB is closed at once, before its payload",
    async () => {
      await using peer = await c.rawPeer();
      const header = new Uint8Array(4);
      new DataView(header.buffer).setUint32(0, PREAUTH_MAX_FRAME_BYTES + 904); // 5000 bytes
      await peer.write(header);
      const { ms } = await peer.waitClosed();
      assert.ok(ms < 1000, `closed after ${ms.toFixed(0)} ms`);
      const [, why] = await c.waitLog(rejectedLine(peer.localPort));
      assert.match(
        why!,
        /Frame of 5000 bytes exceeds the limit of 4096 bytes before authentication while waiting for hello: .*not an ipx peer.*this limit is fixed; --max-frame-mb applies only after the handshake/,
      );
    },
  );

  await t.step("more than the pre-auth byte budget before authenticating is closed", async () => {
    await using peer = await c.rawPeer();
    // a valid hello, then small frames (each under the frame limit) past the byte budget
    const junk = new Uint8Array(PREAUTH_MAX_BYTES + 1000);
    for (let i = 0; i + 1004 <= junk.length; i += 1004) junk.set([0, 0, 3, 232], i);
    const hello = helloFrame();
    const wire = new Uint8Array(hello.length + junk.length);
    wire.set(hello);
    wire.set(junk, hello.length);
    await peer.write(wire);
    await peer.waitClosed();
    const [, why] = await c.waitLog(rejectedLine(peer.localPort));
    assert.match(why!, new RegExp(`more than ${PREAUTH_MAX_BYTES} bytes before authenticating`));
  });

  await t.step("garbage instead of a hello is closed and logged", async () => {
    await using peer = await c.rawPeer();
    await peer.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await peer.waitClosed();
    const [, why] = await c.waitLog(rejectedLine(peer.localPort));
    assert.match(why!, /exceeds the limit of 4096 bytes|instead of an ipx hello/);
  });

  await t.step("the controller still serves a normal client", async () => {
    await using client = await Client.connect({ file: c.clientFile });
    assert.deepEqual(client.ids, []);
  });
});

Deno.test("wrong keys are refused with a hint, logged with address and reason, and leave no state", async (t) => {
  await using c = await startLiveCluster({ engines: 1 });
  assert.deepEqual(c.client.ids, [0]);

  await t.step("a client with the wrong key gets AuthenticationError naming its file", async () => {
    const bad = `${c.dir}/stale-client.json`;
    await writeConnectionFile(bad, { ...c.info, key: generateKey() });
    await rejects(Client.connect({ file: bad }), (e: unknown) => {
      assert.ok(e instanceof AuthenticationError, String(e));
      assert.match(
        e.message,
        /the key in \S+\/stale-client\.json does not match the controller's: copy a fresh ipx-client\.json/,
      );
      return true;
    });
    await c.waitLog(
      /rejected connection from 127\.0\.0\.1:\d+: Peer \(client\) holds a different key/,
    );
  });

  await t.step(
    "a raw peer proving the wrong key is rejected and logged with its address",
    async () => {
      await using peer = await c.rawPeer();
      await rejects(peer.handshake({ key: generateKey() }), (e: unknown) => {
        assert.ok(e instanceof HandshakeRefusedError, String(e));
        assert.equal(e.reason, "auth");
        return true;
      });
      await peer.waitClosed();
      const [, why] = await c.waitLog(rejectedLine(peer.localPort));
      assert.match(why!, /Peer \(client\) does not hold the cluster key: its proof did not verify/);
    },
  );

  await t.step("an engine with the wrong key exits 3 and says which file to replace", async () => {
    const bad = `${c.dir}/stale-engine.json`;
    await writeConnectionFile(bad, { ...c.info, role: "engine", key: generateKey() });
    const run = await runIpx(c.dir, "engine", "--file", bad, "--n", "1", "--wait-ms", "5000");
    const out = run.stdout + run.stderr;
    assert.match(
      out,
      /the key in \S+\/stale-engine\.json does not match the controller's: copy a fresh ipx-engine\.json/,
    );
    assert.match(out, /died: exit code 3 \(could not authenticate/);
    await c.waitLog(
      /rejected connection from 127\.0\.0\.1:\d+: Peer \(engine\) holds a different key/,
    );
  });

  await t.step("engines, ids and clients are unaffected", async () => {
    assert.deepEqual(c.client.ids, [0]);
    await c.probe();
    assert.doesNotMatch(c.controller.output, /engine 1 registered/);
  });
});
