import assert from "node:assert/strict";
import { withTempDir } from "../protocol/testing.ts";
import {
  crc32,
  decodeEntries,
  encodeEntries,
  ENTRY_HEADER_BYTES,
  RecordLog,
} from "./record_log.ts";

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("crc32 matches the standard check value", () => {
  assert.equal(crc32(text("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

Deno.test("entries round-trip, and a cut at every byte keeps exactly the whole entries", () => {
  const bodies = [text("first"), new Uint8Array(0), text("third entry, longer")];
  const bytes = encodeEntries(bodies);
  assert.deepEqual(decodeEntries(bytes), { bodies, ignored: 0 });
  const ends = [0];
  for (const b of bodies) ends.push(ends.at(-1)! + ENTRY_HEADER_BYTES + b.length);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const whole = ends.filter((e) => e <= cut).length - 1;
    const got = decodeEntries(bytes.subarray(0, cut));
    assert.equal(got.bodies.length, whole, `cut at ${cut}`);
    assert.equal(got.ignored, cut - ends[whole]!, `cut at ${cut}`);
  }
});

Deno.test("a corrupted entry stops reading there", () => {
  const bytes = encodeEntries([text("one"), text("two"), text("three")]);
  const flipped = bytes.slice();
  const inTwo = ENTRY_HEADER_BYTES + 3 + ENTRY_HEADER_BYTES;
  flipped[inTwo] = flipped[inTwo]! ^ 0x20; // inside "two"
  const got = decodeEntries(flipped);
  assert.deepEqual(got.bodies, [text("one")]);
  assert.equal(got.ignored, bytes.length - (ENTRY_HEADER_BYTES + 3));
  // a length that runs past the end
  const long = bytes.slice();
  new DataView(long.buffer).setUint32(0, 1 << 30, true);
  assert.deepEqual(decodeEntries(long), { bodies: [], ignored: bytes.length });
});

Deno.test("RecordLog appends, empties, reopens owner-only and reads leftovers", () =>
  withTempDir("ipx-log-", async (dir) => {
    const path = `${dir}/x.log`;
    await Deno.writeFile(path, text("stale"), { mode: 0o644 });
    assert.deepEqual(RecordLog.readLeftovers(`${dir}/none.log`), { bodies: [], ignored: 0 });
    const log = RecordLog.open(path);
    assert.equal(Deno.statSync(path).size, 0, "emptied at open");
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o600);
    log.append([text("a"), text("bb")]);
    log.append([]);
    log.append([text("ccc")]);
    assert.equal(log.size, 3 * ENTRY_HEADER_BYTES + 6);
    assert.deepEqual(RecordLog.readLeftovers(path).bodies, [text("a"), text("bb"), text("ccc")]);
    log.clear();
    assert.equal(Deno.statSync(path).size, 0);
    log.append([text("after")]);
    assert.deepEqual(RecordLog.readLeftovers(path).bodies, [text("after")]);
    log.close();
    assert.deepEqual(RecordLog.readLeftovers(path).bodies, [text("after")], "kept at close");
  }));
