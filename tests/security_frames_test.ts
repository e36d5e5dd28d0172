/**
 * Frame and decoder limits after authentication, against a real `ipx controller` process
 * (TLS, `--max-frame-mb 1`) with one engine: oversized and truncated frames, malformed
 * authenticated bodies, prototype keys, and that each bad frame closes only its own
 * connection while the cluster keeps serving.
 */

import assert from "node:assert/strict";
import { encodeValue } from "../lib/protocol/codec.ts";
import { FRAME_HEADER_BYTES } from "../lib/protocol/frame.ts";
import { MAC_BYTES } from "../lib/protocol/auth.ts";
import type { RawPeer } from "./_helpers/raw_peer.ts";
import { type LiveCluster, startLiveCluster } from "./security_fixture.ts";

const LIMIT = 1024 * 1024;
const enc = new TextEncoder();

function header(length: number): Uint8Array {
  const h = new Uint8Array(FRAME_HEADER_BYTES);
  new DataView(h.buffer).setUint32(0, length);
  return h;
}

async function authed(c: LiveCluster): Promise<RawPeer> {
  const peer = await c.rawPeer();
  await peer.handshake({ key: c.info.key });
  return peer;
}

/** The reason the controller logged when it dropped the client connected from `port`. */
async function dropReason(c: LiveCluster, port: number): Promise<string> {
  const m = await c.waitLog(
    new RegExp(`client \\d+ disconnected: 127\\.0\\.0\\.1:${port}: (.*)$`),
  );
  return m[1]!;
}

/** A ping body padded so that MAC + body is exactly `payloadBytes` long. */
function pingOfPayload(payloadBytes: number): Uint8Array {
  const probe = (pad: number) => encodeValue([{ type: "ping", t: 7, pad: new Uint8Array(pad) }]);
  const overhead = probe(70_000).length - 70_000;
  const body = probe(payloadBytes - MAC_BYTES - overhead);
  assert.equal(MAC_BYTES + body.length, payloadBytes);
  return body;
}

function nested(levels: number): Uint8Array {
  const body = new Uint8Array(levels + 1).fill(0x91);
  body[levels] = 0xc0;
  return body;
}

function map(key: string, value: number[]): Uint8Array {
  const k = enc.encode(key);
  return new Uint8Array([
    0x91,
    0x82,
    0xa4,
    ...enc.encode("type"),
    0xa4,
    ...enc.encode("ping"),
    0xa0 | k.length,
    ...k,
    ...value,
  ]);
}

Deno.test("frame and decoder limits after authentication close only the offending connection", async (t) => {
  // plain TCP: the frame sizes below count the 32-byte MAC that TLS connections do without
  await using c = await startLiveCluster({
    engines: 1,
    tls: false,
    controllerArgs: ["--max-frame-mb", "1"],
  });

  await t.step(
    "a 4 GiB length prefix is refused from the header, before any allocation",
    async () => {
      await using peer = await authed(c);
      const before = await c.rssKib();
      await peer.write(header(0xffffffff));
      const { ms } = await peer.waitClosed();
      assert.ok(ms < 2000, `closed after ${ms.toFixed(0)} ms`);
      assert.match(
        await dropReason(c, peer.localPort),
        /Frame of 4294967295 bytes exceeds the limit of 1048576 bytes/,
      );
      const grown = (await c.rssKib()) - before;
      assert.ok(grown < 8 * 1024, `controller RSS grew by ${grown} KiB`);
    },
  );

  await t.step("a frame of exactly the limit is accepted; one byte more is refused", async () => {
    await using peer = await authed(c);
    await peer.write(peer.signFrame(pingOfPayload(LIMIT)));
    const pong = await peer.receiveUntil((m) => m.type === "pong");
    assert.deepEqual(pong, { type: "pong", t: 7 });
    await peer.write(peer.signFrame(pingOfPayload(LIMIT + 1)));
    await peer.waitClosed();
    assert.match(
      await dropReason(c, peer.localPort),
      /Frame of 1048577 bytes exceeds the limit of 1048576 bytes/,
    );
  });

  await t.step("a frame cut off by the peer's FIN is cleaned up without decoding", async () => {
    await using peer = await authed(c);
    await peer.write(new Uint8Array([...header(1000), ...new Uint8Array(10)]));
    await peer.closeWrite();
    await peer.waitClosed();
    assert.match(await dropReason(c, peer.localPort), /closed in the middle of a frame/);
  });

  const malformed: [string, (peer: RawPeer) => Uint8Array, RegExp][] = [
    ["reserved type byte 0xc1", (p) => p.signFrame(new Uint8Array([0xc1])), /0xc1/],
    [
      "an array header declaring 4 billion elements in 5 bytes",
      (p) => p.signFrame(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])),
      /declares 4294967295 elements/,
    ],
    ["nesting 100 000 deep", (p) => p.signFrame(nested(100_000)), /nesting deeper than 256/],
    ["a __proto__ key", (p) => p.signFrame(map("__proto__", [0x80])), /__proto__ is not allowed/],
    [
      "trailing bytes after the batch",
      (p) => p.signFrame(new Uint8Array([...encodeValue([{ type: "ping", t: 1 }]), 0xc0])),
      /1 unexpected trailing bytes/,
    ],
    [
      "an unknown extension type",
      (p) => p.signFrame(new Uint8Array([0x91, 0x81, 0xa1, 0x74, 0xd4, 42, 0])),
      /extension type 42/,
    ],
    [
      "a body that is not a batch",
      (p) => p.signFrame(encodeValue({ type: "ping" })),
      /expected a message batch/,
    ],
    ["a message without a type", (p) => p.signFrame(encodeValue([{ t: 1 }])), /no type/],
    [
      "500 000 empty maps (a 75-fold decode amplification)",
      (p) => {
        const body = new Uint8Array(5 + 500_000).fill(0x80);
        body.set([0xdd, 0x00, 0x07, 0xa1, 0x20]);
        return p.signFrame(body);
      },
      /holds more than 62500 arrays, maps and binary values/,
    ],
    [
      "one flipped bit in a signed frame",
      (p) => {
        const frame = p.signFrame(encodeValue([{ type: "ping", t: 1 }]));
        frame[frame.length - 1]! ^= 1;
        return frame;
      },
      /authentication failed for frame #0/,
    ],
    ["an empty frame", () => header(0), /too short to carry a MAC/],
  ];
  for (const [name, build, reason] of malformed) {
    await t.step(`${name} closes that connection, with the reason logged`, async () => {
      await using peer = await authed(c);
      const started = performance.now();
      await peer.write(build(peer));
      const { ms } = await peer.waitClosed(started);
      assert.ok(ms < 1000, `closed after ${ms.toFixed(0)} ms`);
      assert.match(await dropReason(c, peer.localPort), reason);
    });
  }

  await t.step(
    "constructor/prototype keys are plain data: no inherited `type` appears",
    async () => {
      await using peer = await authed(c);
      // if these keys reached Object.prototype, every object would inherit type "ping"
      await peer.send([{
        type: "ping",
        t: 1,
        constructor: { prototype: { type: "ping" } },
        prototype: { type: "ping" },
      }]);
      assert.ok(await peer.receiveUntil((m) => m.type === "pong"));
      await peer.send([{ t: 2 }]);
      await peer.waitClosed();
      assert.match(await dropReason(c, peer.localPort), /no type/);
    },
  );

  await t.step("the bystander client and the engine are unaffected", async () => {
    assert.deepEqual(c.client.ids, [0]);
    await c.probe();
  });
});
