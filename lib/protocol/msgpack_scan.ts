/**
 * A structural pre-scan of msgpack bytes that enforces decoder limits before any value is
 * built: nesting depth, and element counts that cannot exceed the bytes that remain (so a
 * five-byte header cannot make the decoder allocate a four-billion-slot array).
 *
 * The scan is iterative (no recursion) and skips binary, string and extension payloads in O(1),
 * so the controller's envelopes, which carry user values as opaque binary, scan in microseconds.
 *
 * @module
 */

import { ProtocolError } from "./errors.ts";

/** Limits enforced by {@linkcode scanMsgpack}. */
export interface ScanLimits {
  /** Maximum nesting depth of arrays, maps and nested extension payloads. @default 256 */
  maxDepth?: number;
  /**
   * Extension types whose payload is itself exactly one msgpack value (ipx's Map, Set and
   * Error). Their payloads are scanned as one more nesting level, so depth is counted across
   * extension boundaries and the decoders of these types need not scan again. Other extension
   * payloads are skipped. @default none
   */
  nestedExtTypes?: ReadonlySet<number>;
  /**
   * Most arrays, maps, binary values and extension values in all. Each becomes a JavaScript
   * object of some 60–120 bytes, so without this bound a frame of one-byte empty maps would
   * decode into roughly 75 times its size. @default unlimited
   */
  maxObjects?: number;
}

/**
 * Walks `bytes` as exactly one msgpack value and throws {@linkcode ProtocolError} when it is
 * truncated, has trailing bytes, nests deeper than `maxDepth`, declares more elements than
 * could possibly fit in the remaining bytes, or holds more than `maxObjects` objects.
 *
 * @param bytes The encoded value.
 * @param limits Limits to enforce.
 */
export function scanMsgpack(bytes: Uint8Array, limits: ScanLimits = {}): void {
  const maxDepth = limits.maxDepth ?? 256;
  const nested = limits.nestedExtTypes;
  const maxObjects = limits.maxObjects ?? Infinity;
  let objects = 0;
  function object(): void {
    if (++objects > maxObjects) {
      throw new ProtocolError(
        `Cannot decode message: it holds more than ${maxObjects} arrays, maps and binary ` +
          `values; send large data as one binary value, or in several messages`,
      );
    }
  }
  const end = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // One entry per open level (the root is level 0): items still expected, where the level's
  // bytes must end, and whether they must end exactly there (a nested extension payload).
  const remaining: number[] = [1];
  const bounds: number[] = [end];
  const exact: boolean[] = [false];
  let bound = end;
  let pos = 0;
  function need(n: number): void {
    if (pos + n > bound) throw new ProtocolError("Cannot decode message: it is truncated");
  }
  function push(count: number, levelEnd: number, exactEnd: boolean): void {
    if (remaining.length - 1 >= maxDepth) {
      throw new ProtocolError(`Cannot decode message: nesting deeper than ${maxDepth} levels`);
    }
    remaining.push(count);
    bounds.push(levelEnd);
    exact.push(exactEnd);
    bound = levelEnd;
  }
  function open(count: number): void {
    object();
    if (count > bound - pos) {
      throw new ProtocolError(
        `Cannot decode message: a container declares ${count} elements but only ${
          bound - pos
        } bytes remain`,
      );
    }
    if (count > 0) push(count, bound, false);
  }
  /** An extension of `len` payload bytes whose type byte is at `typeAt`; the payload follows. */
  function extension(typeAt: number, len: number): void {
    object();
    const type = view.getInt8(typeAt);
    need(len);
    if (nested?.has(type)) {
      if (len === 0) {
        throw new ProtocolError(`Cannot decode message: extension ${type} has an empty payload`);
      }
      push(1, pos + len, true);
    } else pos += len;
  }
  function closeFinished(): void {
    while (remaining.length > 0 && remaining[remaining.length - 1] === 0) {
      remaining.pop();
      const levelEnd = bounds.pop()!;
      if (exact.pop() && pos !== levelEnd) {
        throw new ProtocolError(
          `Cannot decode message: an extension payload has ${levelEnd - pos} unexpected ` +
            `trailing bytes`,
        );
      }
      bound = bounds.length > 0 ? bounds[bounds.length - 1]! : end;
    }
  }
  while (remaining.length > 0) {
    // consume one item slot from the innermost open container; a container stays on the
    // stack until its last child is done, so the stack height is the nesting depth
    remaining[remaining.length - 1]!--;
    need(1);
    const b = bytes[pos++]!;
    if (b <= 0x7f || b >= 0xe0) { // fixint
    } else if (b >= 0xa0 && b <= 0xbf) { // fixstr
      need(b & 0x1f);
      pos += b & 0x1f;
    } else if (b >= 0x90 && b <= 0x9f) {
      open(b & 0x0f);
    } else if (b >= 0x80 && b <= 0x8f) {
      open((b & 0x0f) * 2);
    } else {
      scanTagged(b);
    }
    closeFinished();
  }
  if (pos !== end) {
    throw new ProtocolError(`Cannot decode message: ${end - pos} unexpected trailing bytes`);
  }
  function scanTagged(b: number): void {
    switch (b) {
      case 0xc0:
      case 0xc2:
      case 0xc3:
        break;
      case 0xcc:
      case 0xd0:
        need(1);
        pos += 1;
        break;
      case 0xcd:
      case 0xd1:
        need(2);
        pos += 2;
        break;
      case 0xce:
      case 0xd2:
      case 0xca:
        need(4);
        pos += 4;
        break;
      case 0xcf:
      case 0xd3:
      case 0xcb:
        need(8);
        pos += 8;
        break;
      case 0xc4:
      case 0xd9: // bin8 / str8
        if (b === 0xc4) object();
        need(1);
        pos += 1 + bytes[pos]!;
        need(0);
        break;
      case 0xc5:
      case 0xda: // bin16 / str16
        if (b === 0xc5) object();
        need(2);
        pos += 2 + view.getUint16(pos);
        need(0);
        break;
      case 0xc6:
      case 0xdb: // bin32 / str32
        if (b === 0xc6) object();
        need(4);
        pos += 4 + view.getUint32(pos);
        need(0);
        break;
      case 0xd4: // fixext 1, 2, 4, 8, 16: type byte, then the payload
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        need(1);
        pos += 1;
        extension(pos - 1, 1 << (b - 0xd4));
        break;
      case 0xc7: { // ext8: length, type, payload
        need(2);
        const len = bytes[pos]!;
        pos += 2;
        extension(pos - 1, len);
        break;
      }
      case 0xc8: { // ext16
        need(3);
        const len = view.getUint16(pos);
        pos += 3;
        extension(pos - 1, len);
        break;
      }
      case 0xc9: { // ext32
        need(5);
        const len = view.getUint32(pos);
        pos += 5;
        extension(pos - 1, len);
        break;
      }
      case 0xdc:
        need(2);
        pos += 2;
        open(view.getUint16(pos - 2));
        break;
      case 0xdd:
        need(4);
        pos += 4;
        open(view.getUint32(pos - 4));
        break;
      case 0xde:
        need(2);
        pos += 2;
        open(view.getUint16(pos - 2) * 2);
        break;
      case 0xdf:
        need(4);
        pos += 4;
        open(view.getUint32(pos - 4) * 2);
        break;
      default:
        throw new ProtocolError(
          `Cannot decode message: invalid msgpack type byte 0x${b.toString(16)}`,
        );
    }
  }
}
