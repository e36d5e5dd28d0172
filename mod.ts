/**
 * ipx — IPython parallel for TypeScript on Deno. The library door: connect to a cluster, make
 * views, run code on many engines at once.
 *
 * @example
 * ```ts ignore
 * import { Client } from "./mod.ts";
 * await using client = await Client.connect({ profile: "default" });
 * await client.waitForEngines(2);
 * const dv = client.directView();
 * await dv.push({ a: 5 });
 * console.log(await dv.apply((x: number) => a + x, 1)); // [6, 6]
 * ```
 *
 * @module
 */

export {
  Client,
  type ConnectOptions,
  type EngineQueueStatus,
  type QueueStatus,
} from "./lib/client/client.ts";
export {
  DirectView,
  NoEnginesError,
  type RemoteFunction,
  type Targets,
} from "./lib/client/direct_view.ts";
export {
  type ImapOptions,
  type LoadBalancedOptions,
  LoadBalancedView,
  type MapOptions,
  MapResult,
} from "./lib/client/load_balanced_view.ts";
export { AsyncResult, type Settled, type TaskMetadata } from "./lib/client/async_result.ts";
export type { OutputChunk } from "./lib/client/task_handle.ts";
export type { EngineEvent } from "./lib/client/session.ts";
export {
  CompositeError,
  EngineError,
  ImpossibleDependency,
  InvalidDependency,
  RemoteError,
  TaskAborted,
  TaskLost,
  TaskTimeout,
} from "./lib/client/errors.ts";
export {
  AuthenticationError,
  ConnectionError,
  IpxError,
  MessageTooLargeError,
  ProtocolError,
  SerializationError,
  TimeoutError,
  TransportMismatchError,
  VersionMismatchError,
} from "./lib/protocol/errors.ts";
export type { EngineId, EngineInfo, MsgId } from "./lib/protocol/messages.ts";
export { IPX_VERSION, PROTOCOL_VERSION } from "./lib/protocol/version.ts";
export { RemoteRepr } from "./lib/protocol/remote_repr.ts";
export { ConnectionFileError } from "./lib/protocol/connection_file.ts";
export { TlsError } from "./lib/protocol/tls.ts";
export { TlsPinError } from "./lib/protocol/tls_pins.ts";
