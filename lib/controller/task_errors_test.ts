import assert from "node:assert/strict";
import { ENGINE_ERROR, lostInRestart, TASK_LOST } from "./task_errors.ts";

Deno.test("lostInRestart() says a task's run is unknown when its engine did not come back", () => {
  const onEngine = lostInRestart("t1", 3);
  assert.equal(onEngine.ename, ENGINE_ERROR);
  assert.equal(onEngine.engineId, 3);
  assert.equal(
    onEngine.evalue,
    "engine 3, which held task t1, did not come back after the controller restarted, so " +
      "whether the task ran there is unknown; check its effects before submitting it again",
  );
  const unplaced = lostInRestart("t2", null);
  assert.equal(unplaced.ename, TASK_LOST);
  assert.match(unplaced.evalue, /^task t2 was waiting for an engine when the controller stopped/);
});
