/**
 * {@linkcode explainNoEngines}: why a `%px` has no engine to run on. With no engine
 * registered, the targets are not the problem: either the controller is gone (the client is
 * reconnecting to it, or gave up) or it has no engines yet. A short request to the controller
 * tells the two apart, and the message says which, where the controller is, and what to start.
 *
 * @module
 */

import type { Client } from "../client/client.ts";
import { ConnectionError } from "../protocol/errors.ts";
import { MagicUsageError } from "./errors.ts";

/** What {@linkcode explainNoEngines} needs from the client. */
export type ControllerProbe = Pick<Client, "queueStatus" | "connectionFile" | "connectionInfo">;

const CLIENT_FILE = "ipx-client.json";

function where(client: ControllerProbe): string {
  const { host, port, transport } = client.connectionInfo;
  const address = host === "" ? "" : `at ${host}:${port} (${transport}) `;
  return `${address}from ${client.connectionFile}`;
}

function engineHint(client: ControllerProbe): string {
  const file = client.connectionFile;
  return file.endsWith(CLIENT_FILE)
    ? `\`ipx engine --n 2 --file ${file.slice(0, -CLIENT_FILE.length)}ipx-engine.json\``
    : "`ipx engine --n 2` with the engine file of this controller";
}

/**
 * The error to show when no engine is registered, after asking the controller.
 *
 * @param client The client.
 * @param probeMs How long the controller may take to answer.
 * @returns A {@linkcode ConnectionError} when the controller does not answer (the client is
 * reconnecting) or is lost for good, else a usage error saying there are no engines.
 *
 * @example Usage
 * ```ts ignore
 * if (client.ids.length === 0) throw await explainNoEngines(client, 1000);
 * ```
 */
export async function explainNoEngines(client: ControllerProbe, probeMs: number): Promise<Error> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => timer = setTimeout(() => resolve("late"), probeMs));
  const ask = () => client.queueStatus().then(() => "ok" as const, (error: unknown) => error);
  // a query on a link that just dropped fails at once; asked again it waits for the reconnect,
  // so only a second failure means the client gave up (or was closed)
  const outcome = await Promise.race([
    ask().then((first) => first === "ok" ? first : ask()),
    late,
  ]).finally(() => clearTimeout(timer));
  if (outcome === "ok") {
    return new MagicUsageError(
      `No engines are registered with the controller ${where(client)}; start some with ` +
        `${engineHint(client)}, then run the cell again`,
    );
  }
  if (outcome === "late") {
    return new ConnectionError(
      `Cannot reach the controller ${where(client)}: it did not answer within ${probeMs} ms ` +
        `(stopped, or too busy; the REPL reconnects by itself if the link dropped); start the ` +
        `controller again if it stopped (\`ipx controller\` or \`ipx cluster start\` with the ` +
        `same profile), then run the cell again`,
    );
  }
  const reason = outcome instanceof Error ? outcome.message : String(outcome);
  return new ConnectionError(
    `Lost the controller ${where(client)}: ${reason}; start the controller again (\`ipx ` +
      `controller\` or \`ipx cluster start\` with the same profile), then restart ipx repl`,
    { cause: outcome },
  );
}
