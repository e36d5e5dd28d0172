/**
 * The floor of the ipx benchmark: the same request/reply pattern as an ipx task — client →
 * middle → worker and back, three processes on loopback TCP — with ipx's framing (4-byte
 * length prefix + a msgpack array of messages, coalesced per tick) and its value codec, but no
 * ipx logic: no TLS, no MACs, no handshake, no task records, no scheduler, no sandbox, no
 * code evaluation (the worker decodes the arguments and answers a constant).
 *
 * Figures: 1-in-flight latency (one request, wait for its reply, repeat) and 64-in-flight
 * throughput. With `--thread` the worker process hands every request to a Worker thread with
 * `postMessage` and back, as an ipx engine does, to show what that hop costs.
 *
 * Run: `deno run -A scripts/bench_floor.ts [--n 2000] [--tasks 20000] [--inflight 64]
 * [--thread] [--reps 3] [--json]`. `scripts/bench.ts` uses {@linkcode FloorPipeline} directly.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { decodeValue, encodeValue } from "../lib/protocol/codec.ts";
import { FRAME_HEADER_BYTES, FrameDecoder, writeFrameHeader } from "../lib/protocol/frame.ts";
import { summarize } from "./_bench/stats.ts";

const SELF = fileURLToPath(import.meta.url);

interface Msg {
  type: string;
  msgId?: string;
  tasks?: Msg[];
  op?: { kind: string; fn: string; args: Uint8Array };
  ok?: boolean;
  value?: Uint8Array;
}

/** A TCP connection carrying batches of msgpack messages in length-prefixed frames. */
class Link {
  #conn: Deno.TcpConn;
  #pending: Msg[] = [];
  #scheduled = false;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    conn.setNoDelay(true);
  }

  send(msg: Msg): void {
    this.#pending.push(msg);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const body = encodeValue(this.#pending);
    this.#pending = [];
    const frame = new Uint8Array(FRAME_HEADER_BYTES + body.length);
    writeFrameHeader(frame, 0, body.length);
    frame.set(body, FRAME_HEADER_BYTES);
    this.#chain = this.#chain.then(async () => {
      let off = 0;
      while (off < frame.length) off += await this.#conn.write(frame.subarray(off));
    });
  }

  async run(onMessage: (m: Msg) => void): Promise<void> {
    const decoder = new FrameDecoder();
    const buf = new Uint8Array(256 * 1024);
    for (;;) {
      let n: number | null;
      try {
        n = await this.#conn.read(buf);
      } catch {
        return;
      }
      if (n === null) return;
      for (const payload of decoder.push(buf.subarray(0, n))) {
        for (const m of decodeValue(payload) as Msg[]) onMessage(m);
      }
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}

const THREAD_SOURCE = `
self.onmessage = (e) => {
  const { id, args } = e.data;
  self.postMessage({ id, value: args });
};
`;

/** The worker role: answers every `run` with a `result`. */
async function workerRole(thread: boolean): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(`port ${(listener.addr as Deno.NetAddr).port}`);
  const one = encodeValue(1);
  let hop: ((args: Uint8Array) => Promise<Uint8Array>) | undefined;
  if (thread) {
    const url = URL.createObjectURL(new Blob([THREAD_SOURCE], { type: "text/javascript" }));
    const w = new Worker(url, { type: "module" });
    const waiting = new Map<number, (v: Uint8Array) => void>();
    let next = 0;
    w.onmessage = (e: MessageEvent<{ id: number; value: Uint8Array }>) => {
      const done = waiting.get(e.data.id);
      waiting.delete(e.data.id);
      done?.(e.data.value);
    };
    hop = (args) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        w.postMessage({ id, args });
      });
  }
  for await (const conn of listener) {
    const link = new Link(conn);
    await link.run((m) => {
      if (m.type !== "run" || !m.op) return;
      const msgId = m.msgId;
      const args = m.op.args;
      if (hop) {
        void hop(args).then((a) => {
          decodeValue(a);
          link.send({ type: "result", msgId, ok: true, value: one });
        });
      } else {
        decodeValue(args);
        link.send({ type: "result", msgId, ok: true, value: one });
      }
    });
    break; // leaving the loop closes the listener
  }
}

/** The middle role: relays client submits to the worker and results back. */
async function middleRole(workerPort: number): Promise<void> {
  const upstream = new Link(await Deno.connect({ hostname: "127.0.0.1", port: workerPort }));
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  console.log(`port ${(listener.addr as Deno.NetAddr).port}`);
  for await (const conn of listener) {
    const client = new Link(conn);
    const fromWorker = upstream.run((m) => {
      if (m.type === "result") client.send(m);
    });
    await client.run((m) => {
      if (m.type !== "submit" || !m.tasks) return;
      for (const t of m.tasks) upstream.send({ type: "run", msgId: t.msgId!, op: t.op! });
    });
    upstream.close();
    await fromWorker;
    break; // leaving the loop closes the listener
  }
}

async function readPort(child: Deno.ChildProcess): Promise<{ port: number; rest: Promise<void> }> {
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("floor process exited before reporting its port");
    buf += decoder.decode(value, { stream: true });
    const m = /port (\d+)\n/.exec(buf);
    if (m) {
      const rest = (async () => {
        for (;;) {
          const r = await reader.read();
          if (r.done) return;
        }
      })();
      return { port: Number(m[1]), rest };
    }
  }
}

/** Three processes wired client → middle → worker; the client is this process. */
export class FloorPipeline implements AsyncDisposable {
  #link: Link;
  #children: Deno.ChildProcess[];
  #waiting = new Map<string, () => void>();
  #next = 0;
  #loop: Promise<void>;
  #args = encodeValue([]);

  private constructor(link: Link, children: Deno.ChildProcess[]) {
    this.#link = link;
    this.#children = children;
    this.#loop = link.run((m) => {
      if (m.type !== "result" || m.msgId === undefined) return;
      const done = this.#waiting.get(m.msgId);
      this.#waiting.delete(m.msgId);
      decodeValue(m.value!);
      done?.();
    });
  }

  /**
   * Starts the middle and worker processes and connects.
   *
   * @param options `thread`: the worker hands each request to a Worker thread and back.
   */
  static async start(options: { thread?: boolean } = {}): Promise<FloorPipeline> {
    const spawn = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-net", "--no-prompt", SELF, ...args],
        stdout: "piped",
        stderr: "inherit",
        stdin: "null",
      }).spawn();
    const worker = spawn(["--role", "worker", ...(options.thread ? ["--thread"] : [])]);
    const w = await readPort(worker);
    const middle = spawn(["--role", "middle", "--port", String(w.port)]);
    const m = await readPort(middle);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: m.port });
    return new FloorPipeline(new Link(conn), [worker, middle]);
  }

  #request(): Promise<void> {
    const msgId = `f-${this.#next++}`;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiting.set(msgId, resolve);
    this.#link.send({
      type: "submit",
      tasks: [{ type: "task", msgId, op: { kind: "apply", fn: "() => 1", args: this.#args } }],
    });
    return promise;
  }

  /**
   * One request at a time.
   *
   * @param n Requests.
   * @returns Microseconds per round trip.
   */
  async latency(n: number): Promise<number> {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await this.#request();
    return (performance.now() - t0) * 1000 / n;
  }

  /**
   * Keeps `inflight` requests outstanding until `n` have completed.
   *
   * @param n Requests.
   * @param inflight Requests in flight.
   * @returns Requests per second.
   */
  async throughput(n: number, inflight: number): Promise<number> {
    let sent = 0;
    const t0 = performance.now();
    const lane = async () => {
      while (sent < n) {
        sent++;
        await this.#request();
      }
    };
    await Promise.all(Array.from({ length: Math.min(inflight, n) }, lane));
    return n / ((performance.now() - t0) / 1000);
  }

  /** Stops the processes. */
  async close(): Promise<void> {
    this.#link.close();
    await this.#loop;
    for (const c of this.#children) {
      const timer = setTimeout(() => {
        try {
          c.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await c.status;
      clearTimeout(timer);
    }
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      role: { type: "string" },
      port: { type: "string" },
      thread: { type: "boolean", default: false },
      n: { type: "string", default: "2000" },
      tasks: { type: "string", default: "20000" },
      inflight: { type: "string", default: "64" },
      reps: { type: "string", default: "3" },
      json: { type: "boolean", default: false },
    },
  });
  if (values.role === "worker") {
    await workerRole(values.thread);
    Deno.exit(0); // a Worker thread would keep the process alive
  }
  if (values.role === "middle") {
    await middleRole(Number(values.port));
    Deno.exit(0);
  }
  const reps = Number(values.reps);
  const out: Record<string, unknown> = {};
  for (const thread of [false, ...(values.thread ? [true] : [])]) {
    await using floor = await FloorPipeline.start({ thread });
    await floor.latency(200);
    await floor.throughput(2000, Number(values.inflight));
    const lat: number[] = [];
    const thr: number[] = [];
    for (let r = 0; r < reps; r++) {
      lat.push(await floor.latency(Number(values.n)));
      thr.push(await floor.throughput(Number(values.tasks), Number(values.inflight)));
    }
    const key = thread ? "withThreadHop" : "plain";
    out[key] = { latencyUs: summarize(lat), throughputPerSec: summarize(thr) };
    if (!values.json) {
      console.log(
        `floor${thread ? " + Worker-thread hop" : ""}: 1-in-flight ` +
          `${summarize(lat).median.toFixed(1)} µs/round trip, ${values.inflight}-in-flight ` +
          `${Math.round(summarize(thr).median).toLocaleString("en-US")} req/s`,
      );
    }
  }
  if (values.json) console.log(JSON.stringify(out, null, 2));
}

if (import.meta.main) await main();
