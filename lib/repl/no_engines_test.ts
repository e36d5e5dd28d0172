import assert from "node:assert/strict";
import type { ConnectionInfo } from "../protocol/connection_file.ts";
import { ConnectionError } from "../protocol/errors.ts";
import { MagicUsageError } from "./errors.ts";
import { type ControllerProbe, explainNoEngines } from "./no_engines.ts";

function fakeClient(queueStatus: () => Promise<unknown>): ControllerProbe {
  return {
    queueStatus: queueStatus as ControllerProbe["queueStatus"],
    connectionFile: "/ipx/profile_rp/security/ipx-client.json",
    connectionInfo: { host: "127.0.0.1", port: 4242, transport: "tls" } as ConnectionInfo,
  };
}

Deno.test("explainNoEngines() with an answering controller says there are no engines", async () => {
  const why = await explainNoEngines(fakeClient(() => Promise.resolve({})), 1000);
  assert.ok(why instanceof MagicUsageError);
  assert.equal(
    why.message,
    "No engines are registered with the controller at 127.0.0.1:4242 (tls) from " +
      "/ipx/profile_rp/security/ipx-client.json; start some with `ipx engine --n 2 --file " +
      "/ipx/profile_rp/security/ipx-engine.json`, then run the cell again",
  );
  assert.doesNotMatch(why.message, /--targets/);
});

Deno.test("explainNoEngines() says the controller is being reconnected to when it is silent", async () => {
  const never = Promise.withResolvers<unknown>();
  const why = await explainNoEngines(fakeClient(() => never.promise), 10);
  assert.ok(why instanceof ConnectionError);
  assert.match(
    why.message,
    /^Cannot reach the controller at 127\.0\.0\.1:4242 \(tls\) from \S+ipx-client\.json: it did not answer within 10 ms \(stopped, or too busy; the REPL reconnects by itself if the link dropped\); start the controller again/,
  );
  never.reject(new Error("late")); // a late failure is not reported as unhandled
});

Deno.test("explainNoEngines() says the controller is lost when the client gave up", async () => {
  const lost = new ConnectionError("Lost the controller and could not reconnect within 30000 ms");
  const why = await explainNoEngines(fakeClient(() => Promise.reject(lost)), 1000);
  assert.ok(why instanceof ConnectionError);
  assert.equal(
    why.message,
    "Lost the controller at 127.0.0.1:4242 (tls) from /ipx/profile_rp/security/ipx-client.json: " +
      "Lost the controller and could not reconnect within 30000 ms; start the controller again " +
      "(`ipx controller` or `ipx cluster start` with the same profile), then restart ipx repl",
  );
});

Deno.test("explainNoEngines() asks again when the link dropped under its first question", async () => {
  const never = Promise.withResolvers<unknown>();
  const answers = [Promise.reject(new ConnectionError("lost before it replied")), never.promise];
  const why = await explainNoEngines(fakeClient(() => answers.shift()!), 10);
  assert.match(
    why.message,
    /^Cannot reach the controller .* the REPL reconnects by itself if the link dropped\);/,
  );
  never.resolve({});
});
