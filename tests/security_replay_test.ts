/**
 * Replay at the socket level, against a real `ipx controller` with one engine: a raw peer
 * completes a real handshake, captures the signed frame that submits a task, and replays it on
 * the same connection, on a new connection, and back at the controller in the other direction.
 * Every replay is refused, and the task's side effect (a line appended to a file in the data
 * dir) happens exactly once.
 */

import assert from "node:assert/strict";
import { MAC_BYTES } from "../lib/protocol/auth.ts";
import { frameMac } from "../lib/protocol/frame_mac.ts";
import { encodeValue } from "../lib/protocol/codec.ts";
import { type LiveCluster, startLiveCluster } from "./security_fixture.ts";

const COUNTER = "replay-counter.txt";

function header(length: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, length);
  return h;
}

function appendTask(msgId: string, line: string) {
  return {
    type: "submit",
    tasks: [{
      msgId,
      engineId: 0,
      op: {
        kind: "execute",
        code: `Deno.writeTextFileSync(${JSON.stringify(COUNTER)}, ${
          JSON.stringify(line + "\n")
        }, { append: true }); ${JSON.stringify(line)}`,
      },
    }],
  };
}

async function dropReason(c: LiveCluster, port: number): Promise<string> {
  const m = await c.waitLog(new RegExp(`client \\d+ disconnected: 127\\.0\\.0\\.1:${port}: (.*)$`));
  return m[1]!;
}

async function counterLines(c: LiveCluster): Promise<string[]> {
  const text = await Deno.readTextFile(`${c.dataDir}/${COUNTER}`).catch(() => "");
  return text.split("\n").filter(Boolean);
}

Deno.test("captured frames cannot be replayed on the same or another connection", async (t) => {
  // per-frame MACs are what stop replays on plain TCP; over TLS the record layer does (and
  // ipx skips the MACs there), so this runs against a --no-tls controller
  await using c = await startLiveCluster({ engines: 1, tls: false });
  await using first = await c.rawPeer();
  await first.handshake({ key: c.info.key });
  const captured = await first.send([appendTask("replay-task", "ran")]);
  const result = await first.receiveUntil((m) => m.type === "result" && m.msgId === "replay-task");
  assert.equal(result?.ok, true, JSON.stringify(result));
  assert.deepEqual(await counterLines(c), ["ran"]);

  await t.step("a frame sent twice on its connection is refused the second time", async () => {
    await first.write(captured);
    await first.waitClosed();
    assert.match(
      await dropReason(c, first.localPort),
      /authentication failed for frame #1 \(forged, altered, replayed or reordered\)/,
    );
  });

  await t.step("the frame replayed as the first frame of a new connection is refused", async () => {
    await using second = await c.rawPeer();
    await second.handshake({ key: c.info.key });
    await second.write(captured);
    await second.waitClosed();
    assert.match(await dropReason(c, second.localPort), /authentication failed for frame #0/);
  });

  await t.step("a frame signed for a later position (reordered) is refused", async () => {
    await using third = await c.rawPeer();
    await third.handshake({ key: c.info.key });
    const body = new TextEncoder().encode("irrelevant");
    await third.write(third.signFrame(body, 1)); // frame #0 is expected first
    await third.waitClosed();
    assert.match(await dropReason(c, third.localPort), /authentication failed for frame #0/);
  });

  await t.step("a frame the controller sent cannot be reflected back to it", async () => {
    await using fourth = await c.rawPeer();
    await fourth.handshake({ key: c.info.key });
    // a frame as the controller would sign it (server-to-client key, frame #0)
    const body = encodeValue([{ type: "pong", t: 1 }]);
    const reflected = new Uint8Array([
      ...header(MAC_BYTES + body.length),
      ...frameMac(fourth.keys.serverToClient, 0, body),
      ...body,
    ]);
    await fourth.write(reflected);
    await fourth.waitClosed();
    assert.match(await dropReason(c, fourth.localPort), /authentication failed for frame #0/);
  });

  await t.step("the task ran exactly once", async () => {
    // a marker task, submitted after every replay: the engine runs tasks in order, so a
    // replayed task that had got through would have appended its line before this one
    const [marker] = await c.client.directView(0).execute(
      `Deno.writeTextFileSync(${JSON.stringify(COUNTER)}, "marker\\n", { append: true }); 1`,
    );
    assert.equal(marker, 1);
    assert.deepEqual(await counterLines(c), ["ran", "marker"]);
  });
});
