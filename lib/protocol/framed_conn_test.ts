import assert, { rejects } from "node:assert/strict";
import { ProtocolError, TimeoutError } from "./errors.ts";
import { encodeFrame, FrameTooLargeError } from "./frame.ts";
import { DEFAULT_FRAME_TIMEOUT_MS, FramedConn } from "./framed_conn.ts";
import { memoryPair } from "./memory_transport.ts";

function header(length: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, length);
  return h;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("FramedConn.readFrame() closes a connection whose frame stalls past frameTimeoutMs", async () => {
  const [peer, local] = memoryPair();
  const framed = new FramedConn(local, { frameTimeoutMs: 50 });
  // a frame declaring 1000 bytes, of which 3 arrive
  await peer.write(concat(header(1000), new Uint8Array([1, 2, 3])));
  const started = performance.now();
  await rejects(framed.readFrame(), (e: unknown) => {
    assert.ok(e instanceof TimeoutError, String(e));
    // 50 ms, plus 1 ms per 1,000 bytes declared
    assert.match(e.message, /did not finish it within 51 ms \(3 of 1000 bytes received\)/);
    assert.match(e.message, /--frame-timeout-ms/);
    return true;
  });
  assert.ok(performance.now() - started >= 45, "not before the deadline");
  assert.equal(framed.closed, true);
  // the peer sees the connection closed
  assert.equal(await peer.read(new Uint8Array(8)), null);
});

Deno.test("FramedConn arms the frame deadline only while a frame is incomplete", async () => {
  const [peer, local] = memoryPair();
  const framed = new FramedConn(local, { frameTimeoutMs: 60_000 });
  assert.equal(framed.frameTimeoutMs, 60_000);
  assert.equal(new FramedConn(memoryPair()[0]).frameTimeoutMs, DEFAULT_FRAME_TIMEOUT_MS);
  const frame = encodeFrame(new Uint8Array([7, 8, 9]));
  await peer.write(frame);
  assert.deepEqual(await framed.readFrame(), new Uint8Array([7, 8, 9]));
  assert.equal(framed.awaitingFrameEnd, false, "idle between frames: no deadline");
  // the next frame arrives in two parts
  await peer.write(frame.subarray(0, 5));
  const next = framed.readFrame();
  await peer.write(frame.subarray(5, 6));
  await Promise.resolve();
  assert.equal(framed.awaitingFrameEnd, true, "inside a frame: deadline armed");
  await peer.write(concat(frame.subarray(6), frame.subarray(0, 2)));
  assert.deepEqual(await next, new Uint8Array([7, 8, 9]));
  assert.equal(framed.awaitingFrameEnd, true, "a frame completed and the next began");
  await peer.write(frame.subarray(2));
  assert.deepEqual(await framed.readFrame(), new Uint8Array([7, 8, 9]));
  assert.equal(framed.awaitingFrameEnd, false);
  framed.close();
});

Deno.test("FramedConn.readFrame() enforces the read budget as bytes arrive", async () => {
  const [peer, local] = memoryPair();
  const framed = new FramedConn(local, { readBudget: 50 });
  // many small valid frames: the frame size limit alone would accept them all
  const many = concat(...Array.from({ length: 200 }, () => encodeFrame(new Uint8Array(10))));
  await peer.write(many);
  let frames = 0;
  await rejects(
    (async () => {
      for (;;) {
        await framed.readFrame();
        frames++;
      }
    })(),
    (e: unknown) => {
      assert.ok(e instanceof ProtocolError, String(e));
      assert.match(e.message, /more than 50 bytes before authenticating/);
      return true;
    },
  );
  assert.ok(framed.bytesRead <= 51, `read ${framed.bytesRead} bytes with a budget of 50`);
  assert.ok(frames <= 3, `${frames} frames`);
  framed.close();
});

Deno.test("FramedConn.readFrame() reports a frame cut off by the peer, even after its header only", async () => {
  for (const sent of [concat(header(1000), new Uint8Array(10)), header(1000)]) {
    const [peer, local] = memoryPair();
    const framed = new FramedConn(local);
    await peer.write(sent);
    peer.close();
    await rejects(framed.readFrame(), /closed in the middle of a frame/);
    framed.close();
  }
  // a close between frames is a clean end
  const [peer, local] = memoryPair();
  const framed = new FramedConn(local);
  peer.close();
  assert.equal(await framed.readFrame(), null);
});

Deno.test("FramedConn one-frame-at-a-time mode judges later frames by the limits in force later", async () => {
  const [peer, local] = memoryPair();
  const framed = new FramedConn(local, { maxFrameBytes: 16, oneFrameAtATime: true });
  await peer.write(concat(encodeFrame(new Uint8Array(3)), encodeFrame(new Uint8Array(5000))));
  assert.equal((await framed.readFrame())?.length, 3);
  framed.maxFrameBytes = 8192;
  framed.oneFrameAtATime = false;
  assert.equal((await framed.readFrame())?.length, 5000);
  // without the mode, the same bytes fail on the second frame's header
  const [peer2, local2] = memoryPair();
  const eager = new FramedConn(local2, { maxFrameBytes: 16 });
  await peer2.write(concat(encodeFrame(new Uint8Array(3)), encodeFrame(new Uint8Array(5000))));
  await rejects(eager.readFrame(), FrameTooLargeError);
  framed.close();
  eager.close();
});

Deno.test("FramedConn gives a big frame more time: 1 ms per 1,000 bytes it declares", async () => {
  const [peer, local] = memoryPair();
  const framed = new FramedConn(local, { frameTimeoutMs: 20 });
  await peer.write(concat(header(200_000), new Uint8Array(10)));
  await rejects(framed.readFrame(), (e: unknown) => {
    assert.ok(e instanceof TimeoutError, String(e));
    assert.match(e.message, /within 220 ms \(10 of 200000 bytes received\)/);
    return true;
  });
});

Deno.test("FramedConn gives the extra time also when a frame's length arrives after its first byte", async () => {
  const [peer, local] = memoryPair();
  const framed = new FramedConn(local, { frameTimeoutMs: 20 });
  const h = header(200_000);
  const read = framed.readFrame();
  await peer.write(h.subarray(0, 1)); // the deadline starts here, the length still unknown
  await peer.write(concat(h.subarray(1), new Uint8Array(10)));
  await rejects(read, (e: unknown) => {
    assert.ok(e instanceof TimeoutError, String(e));
    assert.match(e.message, /within 220 ms \(10 of 200000 bytes received\)/);
    return true;
  });
});
