/**
 * Inputs of the protocol fuzzer (`scripts/fuzz.ts`): a seeded random source, a byte mutator,
 * and generators of plausible client and engine messages with random field values, plus the
 * filter that keeps batches an authenticated peer may legitimately use to change the cluster
 * (shutdown, purge, engine_exited, register) out of the fuzz.
 *
 * @module
 */

import { decodeValue } from "../../lib/protocol/codec.ts";

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xc0, 0xc1, 0xc7, 0xc9, 0xd4, 0xdc, 0xdd, 0xdf, 0xff];
const KINDS = ["engines", "queue_status", "get_results", "history", "db_query", "nope"];
const CODES = ["1", "1 + 1", "'x'.repeat(3)", "let a = 1; a", "null.x", "[1, 2, 3]", "{}"];

/** Options of {@linkcode FuzzInputs}. */
export interface FuzzInputsOptions {
  /** Seed: the same seed gives the same inputs. */
  seed: number;
  /** Engines in the cluster (some tasks target ids below this). */
  engines: number;
}

/** Seeded generators of fuzz inputs. Methods are bound, so they can be passed around. */
export class FuzzInputs {
  #seed: number;
  #engines: number;
  #counter = 0;

  /** @param options Seed and engine count. */
  constructor(options: FuzzInputsOptions) {
    this.#seed = options.seed >>> 0;
    this.#engines = options.engines;
  }

  /** A number in [0, 1) (mulberry32). */
  rand = (): number => {
    this.#seed = (this.#seed + 0x6d2b79f5) >>> 0;
    let t = this.#seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  /** An integer in [0, n). */
  int = (n: number): number => Math.floor(this.rand() * n);

  /** One element of `xs`. */
  pick = <T>(xs: readonly T[]): T => xs[this.int(xs.length)]!;

  /**
   * Random bytes.
   *
   * @param n How many.
   * @returns The bytes.
   */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /**
   * A mutated copy: bit flips, interesting bytes, truncation, extension, insertions, deletions.
   *
   * @param input The bytes to start from.
   * @returns New bytes.
   */
  mutate(input: Uint8Array): Uint8Array {
    const { int } = this;
    let b: Uint8Array = input.slice();
    for (let k = 1 + int(4); k > 0; k--) {
      const op = int(7);
      if (b.length === 0) b = this.bytes(1 + int(16));
      const at = int(b.length);
      if (op === 0) b[at]! ^= 1 << int(8);
      else if (op === 1) b[at] = this.pick(INTERESTING);
      else if (op === 2) b = b.slice(0, at);
      else if (op === 3) b = new Uint8Array([...b, ...this.bytes(1 + int(64))]);
      else if (op === 4) {
        b = new Uint8Array([...b.subarray(0, at), ...this.bytes(1 + int(8)), ...b.subarray(at)]);
      } else if (op === 5) {
        b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + 1 + int(8))]);
      } else b[at] = 0xff - b[at]!;
    }
    return b;
  }

  /**
   * A random value of any kind the codec carries, nested up to a few levels.
   *
   * @param depth Current nesting.
   * @returns The value.
   */
  value(depth = 0): unknown {
    const { int, rand } = this;
    const r = int(depth > 3 ? 6 : 10);
    if (r === 0) return int(1000) - 500;
    if (r === 1) return rand() < 0.5 ? null : undefined;
    if (r === 2) return "s".repeat(int(20));
    if (r === 3) return this.bytes(int(64));
    if (r === 4) return rand() < 0.5;
    if (r === 5) return 2n ** BigInt(int(80));
    if (r === 6) return Array.from({ length: int(5) }, () => this.value(depth + 1));
    if (r === 7) return new Map([[this.value(depth + 1), this.value(depth + 1)]]);
    if (r === 8) {
      return { a: this.value(depth + 1), constructor: this.value(depth + 1), [String(int(9))]: 1 };
    }
    return new Date(int(2 ** 31));
  }

  /** A message a client could send, often with fields of the wrong type or unknown types. */
  clientMessage(): Record<string, unknown> {
    const { int, pick, rand } = this;
    const id = `fz${this.#counter++}`;
    const v = () => this.value();
    switch (int(9)) {
      case 0:
        return { type: "ping", t: int(1e6) };
      case 1:
        return {
          type: "query",
          reqId: int(1e6),
          query: { kind: pick(KINDS), msgIds: [id], filter: {}, keys: ["msgId"] },
        };
      case 2: {
        const op = { kind: "execute", code: pick(CODES) };
        return { type: "submit", tasks: [{ msgId: id, engineId: 100 + int(50), op }] };
      }
      case 3:
        return {
          type: "submit",
          tasks: [{
            msgId: id,
            engineId: rand() < 0.5 ? int(this.#engines) : undefined,
            op: {
              kind: pick(["execute", "names", "pull", "bogus"]),
              code: pick(CODES),
              names: ["a"],
            },
            lb: rand() < 0.5 ? { retries: int(3), timeoutMs: 1000 } : undefined,
          }],
        };
      case 4:
        return {
          type: pick(["abort", "interrupt", "resume"]),
          msgIds: [id, `fz${int(this.#counter)}`],
        };
      case 5:
        return {
          type: pick(["constructor", "toString", "__proto__x", "hasOwnProperty", ""]),
          x: v(),
        };
      case 6:
        return { type: "query", reqId: v(), query: v() };
      case 7:
        return { type: "submit", tasks: v() };
      default:
        return {
          type: pick(["ping", "query", "submit", "resume"]),
          t: v(),
          msgIds: v(),
          tasks: [v()],
        };
    }
  }

  /** A message an (unregistered) engine connection could send. */
  engineMessage(): Record<string, unknown> {
    const msgId = `fz${this.int(this.#counter + 1)}`;
    const v = () => this.value();
    return this.pick([
      { type: "pong", t: v() },
      { type: "started", msgId, started: v() },
      { type: "stream", msgId, name: this.pick(["stdout", "stderr", "x"]), text: "out" },
      { type: "result", msgId, ok: this.rand() < 0.5, value: this.bytes(this.int(32)), error: v() },
      { type: "interrupted", msgIds: [msgId], reset: v(), clean: v() },
      { type: this.pick(["nope", "constructor", "toString"]), x: v() },
    ]);
  }
}

/**
 * Batches that crash the controller today (reported, to be fixed in lib/controller): a submitted
 * task whose msgId, op.kind or label is not a string reaches the SQLite task store, whose flush
 * then throws outside any handler and ends the process.
 *
 * @param batch A decoded batch.
 * @returns True when it holds such a task.
 */
export function knownCrash(batch: unknown): boolean {
  if (!Array.isArray(batch)) return false;
  return batch.some((m) =>
    m?.type === "submit" && Array.isArray(m.tasks) &&
    m.tasks.some((t: { msgId?: unknown; op?: { kind?: unknown }; label?: unknown }) =>
      typeof t?.msgId !== "string" || typeof t?.op?.kind !== "string" ||
      (t.label !== undefined && typeof t.label !== "string")
    )
  );
}

/**
 * Whether a batch must not be sent: it would legitimately change the cluster (shutdown, purge,
 * engine_exited, register, unregister), or, with `skipKnownCrashes`, it is a
 * {@linkcode knownCrash}. Bodies that do not decode are fine to send (the controller refuses
 * them).
 *
 * @param body The encoded batch.
 * @param skipKnownCrashes Also keep known crashes out.
 * @returns True to skip it.
 */
export function isDestructive(body: Uint8Array, skipKnownCrashes: boolean): boolean {
  let batch: unknown;
  try {
    batch = decodeValue(body);
  } catch {
    return false;
  }
  const text = JSON.stringify(batch, (_k, v) => typeof v === "bigint" ? String(v) : v) ?? "";
  if (/shutdown|purge|engine_exited|register|unregister/.test(text)) return true;
  return skipKnownCrashes && knownCrash(batch);
}
