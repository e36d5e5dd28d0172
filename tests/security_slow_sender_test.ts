/**
 * Slow senders after authentication, at the socket level: a real TCP listener running the
 * controller's side of the protocol (`serverHandshake` + `Channel`, as `Controller.accept` does)
 * with a short frame deadline, and a raw peer that completes the real handshake and then
 * trickles a frame byte by byte. (Before authentication the 2 s handshake deadline applies; see
 * security_auth_test.ts.)
 */

import assert from "node:assert/strict";
import { generateKey } from "../lib/protocol/auth.ts";
import type { Channel } from "../lib/protocol/channel.ts";
import { encodeValue } from "../lib/protocol/codec.ts";
import { TimeoutError } from "../lib/protocol/errors.ts";
import { serverHandshake } from "../lib/protocol/handshake.ts";
import { RawPeer } from "./_helpers/raw_peer.ts";

type Msg = { type: string; t?: number };
const FRAME_TIMEOUT_MS = 300;

/** One-connection server: handshake, then echo pings as pongs; resolves with the close error. */
function server(key: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closed = (async () => {
    const conn = await listener.accept();
    const peer = `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`;
    const { channel } = await serverHandshake<Msg, Msg>(conn, {
      key,
      peer,
      frameTimeoutMs: FRAME_TIMEOUT_MS,
    });
    const ch: Channel<Msg, Msg> = channel;
    return await ch.run((m) => {
      if (m.type === "ping") ch.send({ type: "pong", t: m.t ?? 0 });
    });
  })();
  return {
    port: listener.addr.port,
    closed,
    async [Symbol.asyncDispose]() {
      listener.close();
      await closed.catch(() => {});
    },
  };
}

function pace(ms: number, stop: Promise<unknown>): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([stop, new Promise((r) => timer = setTimeout(r, ms))]).finally(() =>
    clearTimeout(timer)
  );
}

Deno.test("an authenticated peer trickling a frame byte by byte is closed at the frame deadline", async () => {
  const key = generateKey();
  await using srv = server(key);
  await using peer = await RawPeer.open({ host: "127.0.0.1", port: srv.port, transport: "tcp" });
  await peer.handshake({ key });
  // a normal frame first: the connection is healthy
  await peer.send([{ type: "ping", t: 1 }]);
  assert.ok(await peer.receiveUntil((m) => m.type === "pong"));
  const frame = peer.signFrame(encodeValue([{ type: "ping", t: 2, pad: "x".repeat(200) }]));
  const started = performance.now();
  const ended = peer.waitClosed(started);
  let sent = 0;
  let over = false;
  void ended.then(() => over = true);
  // one byte every 25 ms: the frame would take more than 6 s
  while (!over && sent < frame.length) {
    if (!await peer.write(frame.subarray(sent, sent + 1))) break;
    sent++;
    await pace(25, ended);
  }
  const { ms } = await ended;
  assert.ok(sent < frame.length, "the frame must not have completed");
  assert.ok(ms >= FRAME_TIMEOUT_MS - 50 && ms < FRAME_TIMEOUT_MS + 1000, `closed after ${ms} ms`);
  const error = await srv.closed;
  assert.ok(error instanceof TimeoutError, String(error));
  assert.match(
    error.message,
    new RegExp(
      `^127\\.0\\.0\\.1:${peer.localPort}: Peer started a frame and did not finish it within ` +
        // the deadline, plus 1 ms per 1,000 bytes the frame declares
        `${FRAME_TIMEOUT_MS + Math.ceil((frame.length - 4) / 1000)} ms`,
    ),
  );
});

Deno.test("a frame that arrives in parts within the deadline is accepted, and idle time between frames is not limited", async () => {
  const key = generateKey();
  await using srv = server(key);
  await using peer = await RawPeer.open({ host: "127.0.0.1", port: srv.port, transport: "tcp" });
  await peer.handshake({ key });
  for (let t = 1; t <= 3; t++) {
    const frame = peer.signFrame(encodeValue([{ type: "ping", t }]));
    const half = frame.length >> 1;
    await peer.write(frame.subarray(0, half));
    await pace(FRAME_TIMEOUT_MS / 3, srv.closed);
    await peer.write(frame.subarray(half));
    assert.deepEqual(await peer.receiveUntil((m) => m.type === "pong"), { type: "pong", t });
    // idle between frames for longer than the frame deadline
    await pace(FRAME_TIMEOUT_MS * 1.5, srv.closed);
  }
  peer.close();
  assert.equal(await srv.closed, undefined);
});
