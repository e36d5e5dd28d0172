/**
 * Protocol fuzzer (not a unit test): starts a real controller and engines in a private IPX_DIR,
 * throws random and mutated frames at the controller, then checks that it still serves a
 * normal client, that its engines are still there, and that its memory and file descriptors
 * stayed bounded.
 *
 * ```text
 * deno run -A --unstable-worker-options scripts/fuzz.ts            # ≥ 100,000 frames, TCP
 * deno run -A --unstable-worker-options scripts/fuzz.ts --tls      # the same over TLS
 * deno run -A --unstable-worker-options scripts/fuzz.ts --unix     # through the local socket
 * deno run -A --unstable-worker-options scripts/fuzz.ts --frames 20000 --seed 7 --workers 32
 * ```
 *
 * The run is split into `--rounds` (default 5); each round runs the three phases (shares of
 * `--frames`):
 * 1. pre-auth (25 %): random bytes, valid-looking length prefixes (small, at the 4 KiB limit,
 *    huge) with random or cut-short payloads, mutated hellos (bit flips, truncations), valid
 *    hellos followed by forged or mutated proofs, hellos followed by junk; one connection each.
 * 2. post-auth framing (20 %): a real handshake, a few valid signed frames, then one bad frame:
 *    bit flips (header, MAC or body), a replay, a wrong sequence number, random bytes, a huge
 *    length prefix then FIN, a truncated frame then FIN.
 * 3. post-auth structure (55 %): correctly signed frames whose bodies are random message
 *    batches or byte-mutated valid ones (client and engine roles), on long-lived connections
 *    with a ping/pong liveness check every 32 frames. Batches that would legitimately change
 *    the cluster (shutdown, purge, engine_exited, register) are not sent.
 *
 * Prints frames sent, connections, the controller's rejection reasons (from its log), RSS
 * before, after each round, after the final probe and at its peak (`/proc/<pid>/status`) and
 * open FDs. Exits 1 if the controller crashed or stalled, an engine was lost, the probe failed,
 * memory did not level off (RSS after the last round exceeds every earlier round's by more than
 * `--max-rss-growth-mb`, default 32; the first rounds only raise the heap's high-water mark), the peak passed `--max-rss-mb`
 * (default 512) or open FDs grew by more than 16. `--skip-known-crashes` leaves out the batches
 * that crash the controller today (see `knownCrash` in _fuzz/inputs.ts), to measure the rest; `--phases 2,3`
 * runs only some phases.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Client } from "../mod.ts";
import { encodeValue } from "../lib/protocol/codec.ts";
import { encodeFrame } from "../lib/protocol/frame.ts";
import { generateNonce } from "../lib/protocol/auth.ts";
import { readConnectionFile, waitForConnectionFile } from "../lib/protocol/connection_file.ts";
import { IPX_VERSION, PROTOCOL_VERSION } from "../lib/protocol/version.ts";
import { RawPeer, type RawPeerTarget } from "../tests/_helpers/raw_peer.ts";
import { FuzzInputs, isDestructive } from "./_fuzz/inputs.ts";
import { IPX_RUN_FLAGS } from "./compile.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

const { values: opt } = parseArgs({
  args: Deno.args,
  options: {
    frames: { type: "string", default: "100000" },
    seed: { type: "string", default: "1" },
    workers: { type: "string", default: "24" },
    engines: { type: "string", default: "2" },
    tls: { type: "boolean", default: false },
    unix: { type: "boolean", default: false },
    "max-rss-growth-mb": { type: "string", default: "32" },
    "max-rss-mb": { type: "string", default: "512" },
    rounds: { type: "string", default: "5" },
    "skip-known-crashes": { type: "boolean", default: false },
    phases: { type: "string", default: "1,2,3" },
  },
});
const TOTAL = Number(opt.frames);
const WORKERS = Number(opt.workers);
const ENGINES = Number(opt.engines);
const ROUNDS = Math.max(1, Number(opt.rounds));

const gen = new FuzzInputs({ seed: Number(opt.seed), engines: ENGINES });
const { int, pick, rand } = gen;
const bytes = (n: number) => gen.bytes(n);
const mutate = (b: Uint8Array) => gen.mutate(b);
const clientMessage = () => gen.clientMessage();
const engineMessage = () => gen.engineMessage();
const destructive = (body: Uint8Array) => isDestructive(body, opt["skip-known-crashes"]);

// ---------------------------------------------------------------------------------------------
// the fuzzing phases

/** What the phases share: where to connect, the key, counters and failures. */
interface Fuzz {
  target: RawPeerTarget;
  key: string;
  stats: {
    frames: number;
    connections: number;
    handshakes: number;
    closedByController: number;
    pongs: number;
    maxPongMs: number;
    skipped: number;
  };
  failures: string[];
  stopped: () => boolean;
}

function header(length: number): Uint8Array {
  const h = new Uint8Array(4);
  new DataView(h.buffer).setUint32(0, length >>> 0);
  return h;
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Waits (at most 5 s) for the controller to close the connection, then closes it. */
async function finish(f: Fuzz, peer: RawPeer): Promise<void> {
  const closed = await peer.waitClosed(performance.now(), 5000).then(() => true, () => false);
  if (closed) f.stats.closedByController++;
  peer.close();
}

/** Phase 1: one connection, garbage or a mangled handshake, before authentication. */
async function preAuth(f: Fuzz): Promise<void> {
  const peer = await RawPeer.open(f.target);
  f.stats.connections++;
  const hello = encodeFrame(encodeValue({
    type: "hello",
    role: pick(["client", "engine", "x"]),
    ipxVersion: IPX_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    nonce: generateNonce(),
  }));
  const forged = encodeFrame(encodeValue({ type: "auth", proof: bytes(32) }));
  const len = pick([0, 1, 31, 4095, 4096, 4097, 65536, 0x7fffffff, 0xffffffff, int(9000)]);
  const [wire, frames] = pick<() => [Uint8Array, number]>([
    () => [bytes(1 + int(6000)), 1],
    () => [cat(header(len), bytes(Math.min(len, int(5000)))), 1],
    () => [mutate(hello), 1],
    () => [cat(hello, rand() < 0.5 ? forged : mutate(hello)), 2],
    () => [cat(hello, ...Array.from({ length: 3 }, () => encodeFrame(bytes(int(4000))))), 4],
  ])();
  f.stats.frames += frames;
  await peer.write(wire);
  if (rand() < 0.9) await peer.closeWrite().catch(() => {}); // else: the 2 s deadline
  await finish(f, peer);
}

/** Phase 2: a real handshake, a few valid frames, then one bad frame. */
async function postAuthFraming(f: Fuzz): Promise<void> {
  const peer = await RawPeer.open(f.target);
  f.stats.connections++;
  await peer.handshake({ key: f.key, role: rand() < 0.8 ? "client" : "engine" });
  f.stats.handshakes++;
  let last: Uint8Array = new Uint8Array();
  for (let i = int(4); i > 0; i--) {
    last = peer.signFrame(encodeValue([{ type: "ping", t: i }]));
    await peer.write(last);
    f.stats.frames++;
  }
  const good = peer.signFrame(encodeValue([clientMessage()]));
  const huge = pick([0xffffffff, 64 * 1024 * 1024, 64 * 1024 * 1024 + 1, 60_000_000]);
  const bad = pick([
    () => mutate(good),
    () => last.length ? last : mutate(good), // a replay
    () => peer.signFrame(encodeValue([{ type: "ping", t: 0 }]), peer.nextSeq + 1 + int(5)),
    () => bytes(1 + int(3000)),
    () => cat(header(huge), bytes(int(2000))),
    () => good.subarray(0, int(good.length)),
  ])();
  await peer.write(bad);
  f.stats.frames++;
  await peer.closeWrite().catch(() => {});
  await finish(f, peer);
}

/** Waits for the pong of a fresh ping; false when the controller closed the connection. */
async function alive(f: Fuzz, peer: RawPeer): Promise<boolean> {
  const t = int(1e9);
  const sent = performance.now();
  await peer.write(peer.signFrame(encodeValue([{ type: "ping", t }])));
  f.stats.frames++;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pong = await Promise.race([
    peer.receiveUntil((m) => m.type === "pong" && m.t === t),
    new Promise<"late">((r) => timer = setTimeout(() => r("late"), 10_000)),
  ]);
  clearTimeout(timer);
  if (pong === "late") f.failures.push("a pong took more than 10 s (controller stalled?)");
  if (pong && pong !== "late") {
    f.stats.pongs++;
    f.stats.maxPongMs = Math.max(f.stats.maxPongMs, performance.now() - sent);
  }
  return pong !== null && pong !== "late";
}

/** Phase 3: correctly signed random or mutated batches on a long-lived connection. */
async function structured(f: Fuzz, budget: number): Promise<void> {
  let peer: RawPeer | undefined;
  let engineRole = false;
  for (let sent = 0; sent < budget && !f.stopped();) {
    if (!peer) {
      peer = await RawPeer.open(f.target);
      f.stats.connections++;
      engineRole = rand() < 0.15;
      await peer.handshake({ key: f.key, role: engineRole ? "engine" : "client" });
      f.stats.handshakes++;
    }
    const make = engineRole ? engineMessage : clientMessage;
    let body: Uint8Array;
    try {
      body = encodeValue(Array.from({ length: 1 + int(4) }, make));
    } catch {
      continue;
    }
    if (rand() < 0.35) body = mutate(body);
    if (destructive(body)) {
      f.stats.skipped++;
      continue;
    }
    const ok = await peer.write(peer.signFrame(body));
    sent++;
    f.stats.frames++;
    if (ok && sent % 32 !== 0) continue;
    // an engine connection gets no answers before it registers: start a fresh one instead
    if (!ok || engineRole || !await alive(f, peer)) {
      if (!ok || !engineRole) f.stats.closedByController++;
      peer.close();
      peer = undefined;
    }
  }
  peer?.close();
}

/** Runs `job` `n` times on `workers` concurrent loops. */
async function pool(f: Fuzz, n: number, job: (f: Fuzz) => Promise<void>): Promise<void> {
  let left = n;
  await Promise.all(Array.from({ length: WORKERS }, async () => {
    while (left-- > 0 && !f.stopped()) {
      try {
        await job(f);
      } catch (error) {
        if (f.stopped()) return;
        if (!/refused|reset|closed|broken pipe|EOF|close_notify/i.test(String(error))) {
          f.failures.push(`fuzz job failed: ${error}`);
        }
      }
    }
  }));
}

// ---------------------------------------------------------------------------------------------
// the cluster under test

/** A process of the cluster, with its output lines. */
interface Proc {
  child: Deno.ChildProcess;
  lines: string[];
  done: Promise<unknown>;
}

function ipx(ipxDir: string, ...args: string[]): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--config", `${ROOT}deno.json`, ...IPX_RUN_FLAGS, `${ROOT}main.ts`, ...args],
    env: { IPX_DIR: ipxDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (buf + chunk).split("\n");
      buf = parts.pop()!;
      lines.push(...parts);
    }
  };
  return { child, lines, done: Promise.allSettled([collect(child.stdout), collect(child.stderr)]) };
}

async function procStatus(pid: number, field: string): Promise<number> {
  const text = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN);
}

async function openFds(pid: number): Promise<number> {
  let n = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) n++;
  return n;
}

async function probe(client: Client, ids: number[]): Promise<void> {
  const got = await client.directView(ids).apply((x: number) => x * 2, 21).get(20_000);
  if (JSON.stringify(got) !== JSON.stringify(ids.map(() => 42))) {
    throw new Error(`probe returned ${JSON.stringify(got)}`);
  }
}

/** Counts the controller's log lines by reason, numbers and quoted text folded. */
function reasons(lines: string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const m = /rejected connection from \S+: (.*)$/.exec(line) ??
      /client \d+ disconnected: \S+: (.*)$/.exec(line);
    if (!m) continue;
    const reason = m[1]!.replace(/\d+/g, "N").replace(/"[^"]*"/g, '"…"').slice(0, 96);
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

async function main(): Promise<number> {
  const ipxDir = await Deno.makeTempDir({ prefix: "ipx_fuzz_" });
  const controller = ipx(ipxDir, "controller", ...(opt.tls ? [] : ["--no-tls"]));
  let exited: Deno.CommandStatus | undefined;
  void controller.child.status.then((s) => exited = s);
  const engines = ipx(ipxDir, "engine", "--n", String(ENGINES));
  const clientFile = `${ipxDir}/profile_default/security/ipx-client.json`;
  const pid = controller.child.pid;
  const failures: string[] = [];
  let client: Client | undefined;
  let crashedWith: Deno.CommandStatus | undefined;
  try {
    await waitForConnectionFile(clientFile, { timeoutMs: 30_000 });
    client = await Client.connect({ file: clientFile, timeoutMs: 30_000 });
    const ids = await client.waitForEngines(ENGINES, { timeoutMs: 60_000 });
    await probe(client, ids);
    const info = await readConnectionFile(clientFile);
    if (opt.unix && !info.ipcPath) throw new Error("--unix: the controller has no local socket");
    const f: Fuzz = {
      target: {
        host: info.host,
        port: info.port,
        transport: info.transport,
        ...(info.tlsCaPem ? { tlsCaPem: info.tlsCaPem } : {}),
        ...(opt.unix ? { unixPath: info.ipcPath! } : {}),
      },
      key: info.key,
      stats: {
        frames: 0,
        connections: 0,
        handshakes: 0,
        closedByController: 0,
        pongs: 0,
        maxPongMs: 0,
        skipped: 0,
      },
      failures,
      stopped: () => exited !== undefined,
    };
    const rssBefore = await procStatus(pid, "VmRSS");
    const fdsBefore = await openFds(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      procStatus(pid, "VmRSS").then((v) => rssPeak = Math.max(rssPeak, v), () => {});
    }, 250);
    const started = performance.now();
    const report = (phase: string) =>
      console.log(
        `${phase.padEnd(30)} frames ${f.stats.frames}, connections ${f.stats.connections}, ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    const phases = new Set(opt.phases.split(","));
    const share = (n: number) => (phases.size === 3 ? n : 1 / phases.size) / ROUNDS;
    const rounds: number[] = [];
    for (let round = 1; round <= ROUNDS && !f.stopped(); round++) {
      if (phases.has("1")) {
        await pool(f, Math.round(TOTAL * share(0.25) / 1.7), preAuth);
        report(`round ${round} phase 1 (pre-auth)`);
      }
      if (phases.has("2")) {
        await pool(f, Math.round(TOTAL * share(0.20) / 2.5), postAuthFraming);
        report(`round ${round} phase 2 (post-auth framing)`);
      }
      if (phases.has("3")) {
        const per = Math.ceil((TOTAL * round / ROUNDS - f.stats.frames) / WORKERS);
        await pool(f, WORKERS, (x) => structured(x, per));
        report(`round ${round} phase 3 (post-auth structure)`);
      }
      if (!f.stopped()) rounds.push(await procStatus(pid, "VmRSS"));
    }
    clearInterval(sampler);
    if (exited) throw new Error(`the controller exited during fuzzing: ${JSON.stringify(exited)}`);

    // the controller must still serve: a new client, every engine, the same ids
    await client.close();
    client = await Client.connect({ file: clientFile, timeoutMs: 30_000 });
    const after = await client.waitForEngines(ENGINES, { timeoutMs: 30_000 }).catch(() => []);
    if (JSON.stringify(after) !== JSON.stringify(ids)) failures.push(`engines: ${ids} → ${after}`);
    const probed = await probe(client, ids).then(() => "ok", (e) => `FAILED (${e})`);
    if (probed !== "ok") failures.push(`probe after fuzzing ${probed}`);
    for (let i = 0; i < 40 && await openFds(pid) > fdsBefore + 4; i++) {
      await new Promise((r) => setTimeout(r, 250)); // closed sockets are reaped asynchronously
    }
    const rssAfter = await procStatus(pid, "VmRSS");
    const fdsAfter = await openFds(pid);
    const hwm = await procStatus(pid, "VmHWM");
    const count = (re: RegExp) => controller.lines.filter((l) => re.test(l)).length;
    const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
    const s = f.stats;
    console.log(`
== ipx protocol fuzz ==
transport               ${
      opt.unix ? "local socket" : info.transport
    } (seed ${opt.seed}, ${WORKERS} workers, ${ENGINES} engines)
frames sent             ${s.frames}
connections opened      ${s.connections} (${s.handshakes} authenticated)
closed by controller    ${s.closedByController} (as seen by the fuzzer)
rejected before auth    ${count(/rejected connection from/)} (controller log)
dropped after auth      ${count(/client \d+ disconnected: /)} (controller log)
handler errors logged   ${count(/handler failed/)}
liveness pongs          ${s.pongs} (slowest ${s.maxPongMs.toFixed(0)} ms)
destructive skipped     ${s.skipped}
duration                ${((performance.now() - started) / 1000).toFixed(1)} s
controller RSS          before ${mib(rssBefore)}, after each round ${
      rounds.map(mib).join(" → ")
    }, ${""}after the probe ${mib(rssAfter)}, peak sampled ${mib(rssPeak)}, VmHWM ${mib(hwm)}
controller open FDs     before ${fdsBefore}, after ${fdsAfter}
probe after fuzzing     apply on engines ${ids.join(",")}: ${probed}
top reasons (controller log):`);
    for (const [reason, n] of reasons(controller.lines).slice(0, 16)) {
      console.log(`  ${String(n).padStart(7)}  ${reason}`);
    }
    // memory is bounded when it levels off: the last round may not end more than the limit above
    // every earlier round (the first rounds raise the heap's high-water mark; that is no leak)
    const earlier = rounds.length > 1 ? Math.max(...rounds.slice(0, -1)) : rssBefore;
    const growth = ((rounds.at(-1) ?? rssAfter) - earlier) / 1024;
    if (growth > Number(opt["max-rss-growth-mb"])) {
      failures.push(`controller RSS grew by ${growth.toFixed(1)} MiB in the last round (a leak?)`);
    }
    if (hwm / 1024 > Number(opt["max-rss-mb"])) {
      failures.push(`controller peak RSS ${mib(hwm)} is above --max-rss-mb ${opt["max-rss-mb"]}`);
    }
    if (fdsAfter > fdsBefore + 16) failures.push(`controller FDs grew: ${fdsBefore} → ${fdsAfter}`);
    if (s.frames < TOTAL) failures.push(`only ${s.frames} of ${TOTAL} frames were sent`);
  } catch (error) {
    failures.push(`${error instanceof Error ? error.stack : error}`);
  } finally {
    crashedWith = exited;
    await client?.close().catch(() => {});
    for (const p of [engines, controller]) {
      try {
        p.child.kill("SIGTERM");
      } catch { /* gone */ }
      await p.child.status;
      await p.done;
    }
    await Deno.remove(ipxDir, { recursive: true }).catch(() => {});
  }
  const crashed = (lines: string[]) => lines.filter((l) => /panicked|Uncaught|died:/.test(l));
  if (crashed(controller.lines).length || crashedWith) {
    failures.push(`controller crashed; its last lines:\n${controller.lines.slice(-25).join("\n")}`);
  }
  if (crashed(engines.lines).length) failures.push(`engines: ${crashed(engines.lines)}`);
  console.log(
    failures.length === 0 ? "\nRESULT: ok" : `\nRESULT: FAILED\n- ${failures.join("\n- ")}`,
  );
  return failures.length === 0 ? 0 : 1;
}

Deno.exit(await main());
