import assert from "node:assert/strict";
import { Client } from "../client/client.ts";
import { generateKey } from "../protocol/auth.ts";
import { memoryPair } from "../protocol/memory_transport.ts";
import type { ByteConn } from "../protocol/transport.ts";
import { PendingAuthGate } from "./auth_gate.ts";
import { ManualClock } from "./clock.ts";
import { Controller } from "./controller.ts";
import type { LogLevel } from "./log.ts";

Deno.test("PendingAuthGate holds at most max, closing the oldest; reports once a second", () => {
  const logged: string[] = [];
  let now = 0;
  const gate = new PendingAuthGate(2, (_level, m) => logged.push(m), () => now);
  const closed: string[] = [];
  const a = gate.enter("a", () => closed.push("a"));
  gate.enter("b", () => closed.push("b"));
  assert.equal(gate.pending, 2);
  gate.enter("c", () => closed.push("c"));
  assert.deepEqual(closed, ["a"]);
  a(); // a's handshake ends afterwards: nothing changes
  assert.equal(gate.pending, 2);
  gate.enter("d", () => closed.push("d"));
  assert.deepEqual(closed, ["a", "b"]);
  assert.equal(gate.evicted, 2);
  assert.equal(logged.length, 1, "the second eviction within a second is not logged");
  assert.match(logged[0]!, /2 connections are authenticating at once \(latest from c\)/);
  now = 1500;
  const e = gate.enter("e", () => closed.push("e"));
  assert.equal(logged.length, 2);
  assert.match(logged[1]!, /\(3 so far\).*--max-pending-auth/);
  e(); // authenticated: leaves the gate
  assert.equal(gate.pending, 1);
  gate.closeAll();
  assert.deepEqual(closed, ["a", "b", "c", "d"]);
  assert.equal(gate.pending, 0);
});

/** True when a pending read ends (EOF) before the next macrotask. */
async function isClosed(pendingRead: Promise<number | null>): Promise<boolean> {
  const later = new Promise<"open">((r) => setTimeout(() => r("open"), 0));
  return (await Promise.race([pendingRead.catch(() => null), later])) !== "open";
}

Deno.test("a flood of silent connections holds at most maxPendingAuth; clients still connect", async () => {
  const key = generateKey();
  const logged: [LogLevel, string][] = [];
  const controller = new Controller({
    key,
    clock: new ManualClock(),
    maxPendingAuth: 4,
    log: (level, m) => logged.push([level, m]),
  });
  try {
    const flood: { conn: ByteConn; read: Promise<number | null> }[] = [];
    for (let i = 0; i < 10; i++) {
      const [a, b] = memoryPair();
      void controller.accept(b, `10.0.0.${i}:999`);
      flood.push({ conn: a, read: a.read(new Uint8Array(64)) });
    }
    // the six oldest were closed at once, long before any handshake deadline…
    for (const f of flood.slice(0, 6)) assert.equal(await f.read.catch(() => null), null);
    // …while the four newest are still held
    for (const f of flood.slice(6)) assert.equal(await isClosed(f.read), false);
    assert.ok(
      logged.some(([level, m]) => level === "warn" && /4 connections are authenticating/.test(m)),
      JSON.stringify(logged),
    );
    // a real client gets through (closing one more silent connection)
    const connect = () => {
      const [a, b] = memoryPair();
      void controller.accept(b, "client");
      return Promise.resolve(a);
    };
    const client = await Client.connectWith({ connect, key, reconnectForMs: 0 });
    assert.deepEqual(client.ids, []);
    await client.close();
    assert.equal(await flood[6]!.read.catch(() => null), null);
    await controller.close();
    // stopping the controller closes the connections still authenticating
    for (const f of flood.slice(7)) assert.equal(await f.read.catch(() => null), null);
  } finally {
    await controller.close();
  }
});
