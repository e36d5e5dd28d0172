import assert from "node:assert/strict";
import { startTestRepl } from "../../tests/_helpers/repl_capture.ts";
import type { EngineInfo } from "../protocol/messages.ts";
import { GONE_WHILE_DOWN } from "../client/engine_roster.ts";
import { formatEngineNotice } from "./engine_notices.ts";

Deno.test("formatEngineNotice() says which engine came or went, why, and what is left", () => {
  const info: EngineInfo = {
    id: 2,
    host: "h",
    pid: 1,
    dataDir: "/d",
    state: "idle",
    queue: 0,
    registeredAt: 0,
  };
  assert.equal(
    formatEngineNotice({ type: "registered", engine: info }, [0, 2]),
    "[engine 2 registered; engines: 0,2]\n",
  );
  assert.equal(
    formatEngineNotice(
      { type: "unregistered", engineId: 1, reason: "its process exited with code 137" },
      [0],
    ),
    "[engine 1 died: its process exited with code 137; engines left: 0]\n",
  );
  assert.equal(
    formatEngineNotice({ type: "unregistered", engineId: 0, reason: "it stopped (done)" }, []),
    "[engine 0 left: it stopped (done); no engines left]\n",
  );
  assert.equal(
    formatEngineNotice({ type: "registered", engine: info, reattached: true }, [0, 2]),
    "", // the same engine as before a controller restart: nothing to tell
  );
  assert.equal(
    formatEngineNotice({ type: "unregistered", engineId: 3, reason: GONE_WHILE_DOWN }, [0]),
    "[engine 3 is gone: it died or left while this client's link to the controller was down; " +
      "engines left: 0]\n",
  );
});

Deno.test("ReplSession announces engines leaving and registering while it waits", async () => {
  await using r = await startTestRepl({ engines: 2 });
  const from = r.sink.text.length;
  await r.cluster.engines[0]!.stop();
  await r.sink.waitFor(/^\[engine 0 left: it stopped \([^)]*\); engines left: 1\]\n$/, from);
  await r.cluster.engines[1]!.stop();
  await r.sink.waitFor(/\[engine 1 left: it stopped \([^)]*\); no engines left\]\n$/, from);
  const back = r.sink.text.length;
  await r.cluster.addEngine();
  // the %px right after the registration finds the engine (the notice may come before or
  // during the cell, but always before its output)
  await r.run("%px 1");
  assert.equal(r.sink.text.slice(back), "[engine 2 registered; engines: 2]\nOut[2:1]: 1\n");
  assert.equal(await r.run("%engines").then((t) => t.split("\n").length), 3);
});
