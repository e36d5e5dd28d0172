/**
 * The connection handshake: version check and mutual proof of the shared key, before any
 * other message is accepted. Before authentication the controller accepts only small frames (at
 * most {@linkcode PREAUTH_MAX_FRAME_BYTES}), only a few bytes in all (at most
 * {@linkcode PREAUTH_MAX_BYTES}, counted as they are read) and only for a bounded time
 * ({@linkcode SERVER_HANDSHAKE_TIMEOUT_MS}); frames are decoded one at a time, so nothing sent
 * after the handshake is judged by these limits. Once authenticated, the channel's limits
 * apply: `maxFrameBytes` and `frameTimeoutMs` (see `framed_conn.ts`). The controller's welcome
 * announces both: peers adopt its frame timeout, accept frames up to its limit plus
 * `FRAME_SLACK_BYTES` from it, and send no frame above its limit (`Channel.sendLimit`).
 *
 * ```
 * peer → controller   hello   { role, ipxVersion, protocolVersion, nonce }
 * controller → peer   welcome { ipxVersion, protocolVersion, nonce, proof,
 *                               frameMac, maxFrameBytes, frameTimeoutMs }     (or reject)
 * peer → controller   auth    { proof }                                       (or reject)
 * controller → peer   ready                                                   (or reject)
 * ```
 *
 * @module
 */

import {
  decodeKey,
  deriveSessionKeys,
  type FrameMacs,
  generateNonce,
  handshakeProof,
  loadFrameMacs,
  macEqual,
  NONCE_BYTES,
} from "./auth.ts";
import { Channel, type ChannelOptions, type Typed } from "./channel.ts";
import {
  AuthenticationError,
  MAX_FRAME_LIMIT_BYTES,
  ProtocolError,
  TransportMismatchError,
  VersionMismatchError,
} from "./errors.ts";
import { DEFAULT_MAX_FRAME_BYTES } from "./frame.ts";
import { DEFAULT_FRAME_TIMEOUT_MS, FramedConn } from "./framed_conn.ts";
import { isBytes, readFirst, readRaw, sendRaw, withDeadline } from "./handshake_io.ts";
import { FRAME_SLACK_BYTES, type HelloMsg, type RejectMsg } from "./messages.ts";
import { type ByteConn, isProtected } from "./transport.ts";
import { LOCAL_VERSIONS, type Versions, versionsCompatible } from "./version.ts";

/** Largest frame accepted before authentication. */
export const PREAUTH_MAX_FRAME_BYTES = 4096;
/** Most bytes a peer may send before it is authenticated. */
export const PREAUTH_MAX_BYTES = 8192;
/** Default time allowed for the controller side of the handshake. */
export const SERVER_HANDSHAKE_TIMEOUT_MS = 2000;

/** A limit as the welcome carries it: a positive integer, at most `max`. */
function isLimit(value: unknown, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= max;
}

/** Longest frame timeout a welcome may announce: a day. */
const MAX_FRAME_TIMEOUT_MS = 86_400_000;

/**
 * The welcome's terms as its proof covers them: whether frames carry MACs and the frame limits.
 * A change on the way (say, a tampered limit) makes the controller's proof fail.
 *
 * @param frameMac Whether frames after the handshake carry a MAC.
 * @param maxFrameBytes The controller's frame limit.
 * @param frameTimeoutMs The controller's frame timeout.
 * @returns The bytes the proof covers.
 */
export function welcomeTerms(
  frameMac: boolean,
  maxFrameBytes: number,
  frameTimeoutMs: number,
): Uint8Array {
  return new TextEncoder().encode(
    `mac=${frameMac ? 1 : 0};max=${maxFrameBytes};timeout=${frameTimeoutMs}`,
  );
}

/** Options of {@linkcode clientHandshake}. */
export interface ClientHandshakeOptions extends ChannelOptions {
  /** Base64 shared key from the connection file. */
  key: string;
  /** Which role connects. */
  role: "engine" | "client";
  /** Time allowed for the whole handshake. @default 10000 */
  timeoutMs?: number;
  /** The connection file the key came from, named in errors. */
  keySource?: string;
  /**
   * Which connection file a wrong key tells the user to copy afresh from the controller.
   * @default "ipx-engine.json" for the engine role, "ipx-client.json" for the client role
   * (a supervisor reporting engine exits connects as a client, with the engine file's key, and
   * names the engine file here)
   */
  keyFileName?: string;
  /** Frame size limit after authentication. */
  maxFrameBytes?: number;
  /** Time a started frame has to complete after authentication. @default DEFAULT_FRAME_TIMEOUT_MS */
  frameTimeoutMs?: number;
  /** Versions to announce (tests only). */
  versions?: Versions;
}

/** The connection file a role is given by the controller, named in advice. */
function connectionFileName(role: "engine" | "client"): string {
  return role === "engine" ? "ipx-engine.json" : "ipx-client.json";
}

function wrongKeyError(keySource: string, keyFileName: string, what: string): Error {
  return new AuthenticationError(
    `${what}: the key in ${keySource} does not match the controller's: copy a fresh ` +
      `${keyFileName} from the controller's profile security dir ` +
      `(\`ipx controller\` prints its path when it starts)`,
  );
}

function rejectError(
  msg: RejectMsg,
  local: Versions,
  keySource: string,
  keyFileName: string,
): Error {
  if (msg.reason === "version") {
    return new VersionMismatchError(local, {
      ipxVersion: msg.ipxVersion,
      protocolVersion: msg.protocolVersion,
    });
  }
  if (msg.reason === "auth") {
    return wrongKeyError(keySource, keyFileName, "The controller rejected our key");
  }
  return new ProtocolError(`The controller refused the connection: ${msg.message}`);
}

/**
 * Runs the connecting side of the handshake and returns the authenticated channel.
 *
 * @param conn A fresh byte connection to the controller.
 * @param options Key, role, limits.
 */
export function clientHandshake<Out extends Typed, In extends Typed>(
  conn: ByteConn,
  options: ClientHandshakeOptions,
): Promise<Channel<Out, In>> {
  const local = options.versions ?? LOCAL_VERSIONS;
  const keySource = options.keySource ?? "the connection file";
  const keyFileName = options.keyFileName ?? connectionFileName(options.role);
  const key = decodeKey(options.key);
  // No read budget on this side: the controller may send its first messages right behind
  // "ready", and they are left undecoded until the channel reads them.
  const framed = new FramedConn(conn, {
    maxFrameBytes: PREAUTH_MAX_FRAME_BYTES,
    oneFrameAtATime: true,
  });
  return withDeadline(framed, options.timeoutMs ?? 10_000, "the controller", async () => {
    try {
      const cnonce = generateNonce();
      await sendRaw(framed, { type: "hello", role: options.role, ...local, nonce: cnonce });
      const welcome = await readFirst(
        framed,
        "the controller's welcome",
        (cause) =>
          Promise.resolve(
            new TransportMismatchError(
              `The controller speaks TLS but ${keySource} says plain TCP ("transport": "tcp"): ` +
                `copy a fresh ${keyFileName} from the controller's ` +
                `profile security dir (\`ipx controller\` prints its path when it starts)`,
              { cause },
            ),
          ),
      );
      if (welcome.type === "reject") throw rejectError(welcome, local, keySource, keyFileName);
      if (welcome.type !== "welcome" || !isBytes(welcome.nonce, NONCE_BYTES)) {
        throw new ProtocolError(
          `Unexpected handshake message "${welcome.type}": is this an ipx controller?`,
        );
      }
      const remote = { ipxVersion: welcome.ipxVersion, protocolVersion: welcome.protocolVersion };
      if (!versionsCompatible(local, remote)) throw new VersionMismatchError(local, remote);
      if (
        !isLimit(welcome.maxFrameBytes, MAX_FRAME_LIMIT_BYTES) ||
        !isLimit(welcome.frameTimeoutMs, MAX_FRAME_TIMEOUT_MS)
      ) {
        throw new ProtocolError(
          "The controller's welcome has no valid frame limits (maxFrameBytes, frameTimeoutMs)",
        );
      }
      if (welcome.frameMac === false && !isProtected(conn)) {
        throw new ProtocolError(
          "The controller asked to skip per-frame MACs over an unencrypted connection; " +
            "refusing (something between us and the controller may be tampering)",
        );
      }
      const terms = welcomeTerms(
        welcome.frameMac !== false,
        welcome.maxFrameBytes,
        welcome.frameTimeoutMs,
      );
      // the per-frame MACs, where the connection needs them, are made while the messages below
      // travel; nothing uses them before the controller's "ready"
      const macs = frameMacsOf(welcome.frameMac !== false, key, cnonce, welcome.nonce, "client");
      macs.catch(() => {}); // awaited below, unless the handshake fails first
      const [expected, ownProof] = await Promise.all([
        handshakeProof(key, "server", cnonce, welcome.nonce, terms),
        handshakeProof(key, "client", cnonce, welcome.nonce),
      ]);
      if (!(welcome.proof instanceof Uint8Array) || !macEqual(expected, welcome.proof)) {
        await sendRaw(framed, {
          type: "reject",
          reason: "auth",
          message: "the controller's proof does not match our key",
          ...local,
        }).catch(() => {});
        throw wrongKeyError(
          keySource,
          keyFileName,
          "The controller could not prove it holds our key (or its welcome was altered on the way)",
        );
      }
      await sendRaw(framed, { type: "auth", proof: ownProof });
      const ready = await readRaw(framed, "the controller's confirmation");
      if (ready.type === "reject") throw rejectError(ready, local, keySource, keyFileName);
      if (ready.type !== "ready") {
        throw new ProtocolError(`Unexpected handshake message "${ready.type}"`);
      }
      // what the controller relays to us may be as big as what it accepts, plus its additions
      authenticated(framed, {
        maxFrameBytes: Math.max(
          options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
          welcome.maxFrameBytes + FRAME_SLACK_BYTES,
        ),
        frameTimeoutMs: options.frameTimeoutMs ?? welcome.frameTimeoutMs,
      });
      const frameMacs = await macs;
      const channel = new Channel<Out, In>(
        framed,
        frameMacs?.signer ?? null,
        frameMacs?.verifier ?? null,
        { peer: "the controller", ...options },
      );
      channel.sendLimit = welcome.maxFrameBytes;
      return channel;
    } catch (error) {
      framed.close();
      throw error;
    }
  });
}

/**
 * The per-frame MACs of one end of a connection, or null when the connection needs none (TLS,
 * a local socket): its session keys are derived only when they are used.
 *
 * @param mac Whether its frames carry MACs.
 * @param key The shared key.
 * @param clientNonce The connecting peer's nonce.
 * @param serverNonce The controller's nonce.
 * @param end Which end this is.
 */
async function frameMacsOf(
  mac: boolean,
  key: Uint8Array,
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
  end: "client" | "server",
): Promise<FrameMacs | null> {
  if (!mac) return null;
  return await loadFrameMacs(await deriveSessionKeys(key, clientNonce, serverNonce), end);
}

/** Options of {@linkcode serverHandshake}. */
export interface ServerHandshakeOptions extends ChannelOptions {
  /** Base64 shared key. */
  key: string;
  /** Time allowed to complete the handshake. @default SERVER_HANDSHAKE_TIMEOUT_MS */
  timeoutMs?: number;
  /** Frame size limit after authentication. */
  maxFrameBytes?: number;
  /** Time a started frame has to complete after authentication. @default DEFAULT_FRAME_TIMEOUT_MS */
  frameTimeoutMs?: number;
  /** Versions to announce (tests only). */
  versions?: Versions;
}

/** Switches a framed connection from the handshake's limits to the channel's. */
function authenticated(
  framed: FramedConn,
  options: { maxFrameBytes?: number; frameTimeoutMs?: number },
): void {
  framed.readBudget = undefined;
  framed.oneFrameAtATime = false;
  framed.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  framed.eagerAllocation = true; // the peer is authenticated
  framed.frameTimeoutMs = options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS;
}

/** An accepted, authenticated peer. */
export interface Accepted<Out extends Typed, In extends Typed> {
  /** The role it announced. */
  role: HelloMsg["role"];
  /** Its versions. */
  versions: Versions;
  /** The channel to it. */
  channel: Channel<Out, In>;
}

/**
 * Runs the controller side of the handshake. On any failure the connection is closed, nothing
 * is kept, and the error says why (for the controller's log).
 *
 * @param conn A freshly accepted byte connection.
 * @param options Key and limits.
 */
export function serverHandshake<Out extends Typed, In extends Typed>(
  conn: ByteConn,
  options: ServerHandshakeOptions,
): Promise<Accepted<Out, In>> {
  const local = options.versions ?? LOCAL_VERSIONS;
  const key = decodeKey(options.key);
  const framed = new FramedConn(conn, {
    maxFrameBytes: PREAUTH_MAX_FRAME_BYTES,
    readBudget: PREAUTH_MAX_BYTES,
    oneFrameAtATime: true,
  });
  const ms = options.timeoutMs ?? SERVER_HANDSHAKE_TIMEOUT_MS;
  return withDeadline(framed, ms, options.peer ?? "peer", async () => {
    try {
      const hello = await readFirst(framed, "hello", async (cause) => {
        // plain bytes make the peer's TLS library fail at once ("not TLS") instead of waiting
        await sendRaw(framed, {
          type: "reject",
          reason: "protocol",
          message: "this controller port speaks plain TCP (--no-tls), not TLS",
          ...local,
        }).catch(() => {});
        return new TransportMismatchError(
          `A client or engine tried TLS on this plain-TCP (--no-tls) port: its connection ` +
            `file says "transport": "tls", so it is not from this controller run; give it a ` +
            `fresh connection file from this controller's security dir, or restart the ` +
            `controller without --no-tls`,
          { cause },
        );
      });
      if (
        hello.type !== "hello" || !isBytes(hello.nonce, NONCE_BYTES) ||
        (hello.role !== "engine" && hello.role !== "client")
      ) {
        await sendRaw(framed, {
          type: "reject",
          reason: "protocol",
          message: "expected an ipx hello",
          ...local,
        }).catch(() => {});
        throw new ProtocolError(`Peer sent "${String(hello.type)}" instead of an ipx hello`);
      }
      const remote = { ipxVersion: hello.ipxVersion, protocolVersion: hello.protocolVersion };
      if (!versionsCompatible(local, remote)) {
        const err = new VersionMismatchError(local, remote);
        await sendRaw(framed, { type: "reject", reason: "version", message: err.message, ...local })
          .catch(() => {});
        throw err;
      }
      const snonce = generateNonce();
      // Over TLS every byte is already encrypted and authenticated, and over a local Unix
      // socket only this user's processes can be at either end; the key proofs above ran
      // inside that connection: per-frame MACs would add cost, not security.
      const frameMac = !isProtected(conn);
      const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
      const frameTimeoutMs = options.frameTimeoutMs ?? DEFAULT_FRAME_TIMEOUT_MS;
      const terms = welcomeTerms(frameMac, maxFrameBytes, frameTimeoutMs);
      // until a peer has proved the key, the controller computes two MACs at most: its own
      // proof, and the one it expects once the peer's arrives (a flood of hellos costs one MAC
      // each); the session keys, where needed, come only after the peer's proof verified
      await sendRaw(framed, {
        type: "welcome",
        ...local,
        nonce: snonce,
        proof: await handshakeProof(key, "server", hello.nonce, snonce, terms),
        frameMac,
        maxFrameBytes,
        frameTimeoutMs,
      });
      const auth = await readRaw(framed, "auth");
      if (auth.type === "reject") {
        throw new AuthenticationError(
          `Peer (${hello.role}) holds a different key: it could not verify our proof ` +
            `(${String(auth.message)})`,
        );
      }
      if (
        auth.type !== "auth" || !(auth.proof instanceof Uint8Array) ||
        !macEqual(await handshakeProof(key, "client", hello.nonce, snonce), auth.proof)
      ) {
        await sendRaw(framed, {
          type: "reject",
          reason: "auth",
          message: "wrong key",
          ...local,
        }).catch(() => {});
        throw new AuthenticationError(
          auth.type === "auth"
            ? `Peer (${hello.role}) does not hold the cluster key: its proof did not verify ` +
              `(wrong key, e.g. a stale connection file)`
            : `Peer (${hello.role}) sent "${String(auth.type)}" instead of its proof`,
        );
      }
      const frameMacs = await frameMacsOf(frameMac, key, hello.nonce, snonce, "server");
      await sendRaw(framed, { type: "ready" });
      authenticated(framed, options);
      const channel = new Channel<Out, In>(
        framed,
        frameMacs?.signer ?? null,
        frameMacs?.verifier ?? null,
        options,
      );
      // peers accept our limit plus the slack (they learned it from the welcome)
      channel.sendLimit = (options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES) + FRAME_SLACK_BYTES;
      return { role: hello.role, versions: remote, channel };
    } catch (error) {
      framed.close();
      throw error;
    }
  });
}
