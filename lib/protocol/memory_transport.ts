/**
 * An in-memory {@linkcode ByteConn} pair for tests: no sockets, same framing and auth code.
 *
 * @module
 */

import type { ByteConn } from "./transport.ts";

class Pipe {
  chunks: Uint8Array[] = [];
  closed = false;
  waiter: (() => void) | undefined;
  wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

class MemoryConn implements ByteConn {
  #in: Pipe;
  #out: Pipe;
  constructor(incoming: Pipe, outgoing: Pipe) {
    this.#in = incoming;
    this.#out = outgoing;
  }
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#in.chunks.length === 0) {
      if (this.#in.closed) return null;
      await new Promise<void>((resolve) => this.#in.waiter = resolve);
    }
    const head = this.#in.chunks[0]!;
    const n = Math.min(head.length, p.length);
    p.set(head.subarray(0, n));
    if (n === head.length) this.#in.chunks.shift();
    else this.#in.chunks[0] = head.subarray(n);
    return n;
  }
  write(p: Uint8Array): Promise<number> {
    if (this.#out.closed) return Promise.reject(new Error("Cannot write: connection closed"));
    this.#out.chunks.push(p.slice());
    this.#out.wake();
    return Promise.resolve(p.length);
  }
  close(): void {
    this.#in.closed = true;
    this.#out.closed = true;
    this.#in.wake();
    this.#out.wake();
  }
}

/**
 * Creates two connected in-memory byte streams.
 *
 * @returns `[a, b]`: what `a` writes, `b` reads, and the other way round.
 */
export function memoryPair(): [ByteConn, ByteConn] {
  const ab = new Pipe();
  const ba = new Pipe();
  return [new MemoryConn(ba, ab), new MemoryConn(ab, ba)];
}
