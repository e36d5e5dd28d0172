/**
 * Per-call cost, in isolation, of the pieces an ipx task passes through: per-frame HMAC,
 * the msgpack codec on a typical message batch, the TypeScript strip + loop instrumentation of
 * an applied function, the data-dir symlink scan, a Worker `postMessage` round trip, and
 * node:inspector `Runtime.evaluate` / `Runtime.callFunctionOn` round trips (the engine's
 * evaluator). Complements the CPU profiles of `profile.ts`.
 *
 * Run: `deno run -A scripts/_bench/micro.ts`
 *
 * @module
 */

import { Session } from "node:inspector";
import { FrameSigner, FrameVerifier } from "../../lib/protocol/frame_mac.ts";
import { decodeValue, encodeValue } from "../../lib/protocol/codec.ts";
import { addInterruptChecks, stripFunction } from "../../lib/engine/ts_strip.ts";
import { chunkWrapper } from "../../lib/client/partition.ts";

/**
 * Times `fn` (sync or async) per call after a warm-up.
 *
 * @param fn The operation.
 * @param ms Rough duration of the measurement.
 * @returns Microseconds per call.
 */
async function perCall(fn: () => unknown, ms = 400): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  let n = 0;
  let batch = 50;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < batch; i++) await fn();
    n += batch;
    batch = Math.min(batch * 2, 5000);
  }
  return (performance.now() - t0) * 1000 / n;
}

const rows: Array<[string, number]> = [];
async function row(name: string, fn: () => unknown): Promise<void> {
  const us = await perCall(fn);
  rows.push([name, us]);
  console.log(`${us.toFixed(2).padStart(9)} µs  ${name}`);
}

// -- per-frame HMAC
const key = crypto.getRandomValues(new Uint8Array(32));
const signer = new FrameSigner(key);
const small = crypto.getRandomValues(new Uint8Array(150));
await row(
  "HMAC sign, 150-byte frame (FrameSigner.sign, node:crypto createHmac)",
  () => signer.sign(small),
);
{
  const s = new FrameSigner(key);
  const v = new FrameVerifier(key);
  const frames = Array.from({ length: 1 }, () => small);
  await row("HMAC sign + verify, 150-byte frame", () => {
    const mac = s.sign(frames[0]!);
    const payload = new Uint8Array(32 + small.length);
    payload.set(mac);
    payload.set(small, 32);
    v.open(payload);
  });
}

// -- codec on typical messages
const args = encodeValue([]);
const run = [{ type: "run", msgId: "0123abcd-42", op: { kind: "apply", fn: "(() => 1)", args } }];
const result = [{
  type: "result",
  msgId: "0123abcd-42",
  ok: true,
  value: encodeValue(1),
  executionCount: 0,
  started: Date.now(),
  completed: Date.now(),
}];
await row("encodeValue of a one-message `run` batch", () => encodeValue(run));
const runBytes = encodeValue(run);
await row("decodeValue of it (scan + decode)", () => decodeValue(runBytes));
await row("encodeValue of a one-message `result` batch", () => encodeValue(result));
const resultBytes = encodeValue(result);
await row("decodeValue of it", () => decodeValue(resultBytes));

// -- what the executor does to an applied function
await row(
  "stripFunction + addInterruptChecks of `() => 1` (sucrase, per apply)",
  () => addInterruptChecks(stripFunction("(() => 1)")),
);
const wrapper = chunkWrapper("((x) => x)");
await row("… of the LB map chunk wrapper", () => addInterruptChecks(stripFunction(wrapper)));

// -- data-dir symlink scan (API differs between revisions)
{
  const dir = await Deno.makeTempDir({ prefix: "ipx-micro-" });
  const sandbox = await import("../../lib/engine/sandbox.ts") as unknown as {
    resolvePolicy(o: { dataDir: string }): Promise<unknown>;
    findEscapingSymlinks?: (p: unknown) => Promise<unknown[]>;
    SymlinkScanner?: new (p: unknown) => { scan(): unknown[] };
  };
  const policy = await sandbox.resolvePolicy({ dataDir: dir });
  if (sandbox.SymlinkScanner) {
    const scanner = new sandbox.SymlinkScanner(policy);
    await row("SymlinkScanner.scan() of an empty data dir (per op)", () => scanner.scan());
  } else if (sandbox.findEscapingSymlinks) {
    const find = sandbox.findEscapingSymlinks;
    await row("findEscapingSymlinks() of an empty data dir (per op)", () => find(policy));
  }
  await Deno.remove(dir, { recursive: true });
}

// -- Worker postMessage round trip
{
  const src = `self.onmessage = (e) => self.postMessage({ type: "done", id: e.data.id, ok: true,
    value: e.data.op.args });`;
  const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
  const w = new Worker(url, { type: "module" });
  let wake: (() => void) | undefined;
  w.onmessage = () => wake?.();
  let id = 0;
  await row(
    "Worker postMessage round trip (run request → done reply)",
    () =>
      new Promise<void>((resolve) => {
        wake = resolve;
        w.postMessage({ type: "run", id: id++, op: { kind: "apply", fn: "(() => 1)", args } });
      }),
  );
  w.terminate();
}

// -- node:inspector round trips (the engine's evaluator does 4 per apply)
{
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) =>
      session.post(method, params, (e: Error | null, r: unknown) => e ? reject(e) : resolve(r as T))
    );
  await row("inspector Runtime.evaluate('1')", () => post("Runtime.evaluate", { expression: "1" }));
  await row(
    "inspector Runtime.evaluate(fn source, replMode, awaitPromise)",
    () =>
      post("Runtime.evaluate", {
        expression: "(() => 1)",
        replMode: true,
        awaitPromise: true,
        objectGroup: "g",
      }),
  );
  const fn = await post<{ result: { objectId: string } }>("Runtime.evaluate", {
    expression: "(() => 1)",
    objectGroup: "g",
  });
  await row("inspector Runtime.callFunctionOn(f => f())", () =>
    post("Runtime.callFunctionOn", {
      objectId: fn.result.objectId,
      functionDeclaration: "function () { return this(); }",
      awaitPromise: true,
      objectGroup: "g",
    }));
  await row(
    "inspector Runtime.releaseObjectGroup",
    () => post("Runtime.releaseObjectGroup", { objectGroup: "h" }),
  );
  session.disconnect();
}

// -- plain JS for scale
await row(
  "new Function('return 1')() (compile + call, for scale)",
  () => new Function("return 1")(),
);
