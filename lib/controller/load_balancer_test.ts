import assert from "node:assert/strict";
import type { ErrorData } from "../protocol/errors.ts";
import type { EngineId, MsgId, SubmitTask, TaskOptions, TaskResult } from "../protocol/messages.ts";
import { LoadBalancer, type Outcome } from "./load_balancer.ts";

/** A load balancer over fake engines, recording what it sends and fails. */
function harness(engines: EngineId[], options = {}) {
  const live = new Set(engines);
  const sent: [EngineId, MsgId][] = [];
  const failed = new Map<MsgId, ErrorData>();
  const outcomes = new Map<MsgId, Outcome | "pending">();
  let now = 0;
  const lb = new LoadBalancer({
    send: (e, m) => {
      if (!live.has(e)) return false;
      sent.push([e, m]);
      return true;
    },
    fail: (m, error) => {
      failed.set(m, error);
      outcomes.set(m, { ok: false, engineId: -1, ename: error.ename });
      lb.resultKnown(m, { ok: false, engineId: -1, ename: error.ename });
    },
    engines: () => live.values(),
    registered: (e) => live.has(e),
    outcome: (m) => outcomes.get(m),
    now: () => now,
  }, options);
  const submit = (msgId: MsgId, lbOpts: TaskOptions = {}) => {
    outcomes.set(msgId, "pending");
    lb.submit({ msgId, op: { kind: "names" }, lb: lbOpts } satisfies SubmitTask);
    lb.pump();
  };
  const finish = (engineId: EngineId, msgId: MsgId, ok: boolean, runMs = 0) => {
    const r: TaskResult = {
      msgId,
      engineId,
      ok,
      ...(ok ? {} : { error: { ename: "Error", evalue: `failed on ${engineId}`, stack: "" } }),
      executionCount: 1,
      submitted: now,
      started: now,
      completed: now + runMs,
    };
    now += runMs;
    const retried = lb.taskFinished(engineId, msgId, r);
    if (!retried) {
      outcomes.set(msgId, { ok, engineId, ename: ok ? null : "Error" });
      lb.resultKnown(msgId, { ok, engineId, ename: ok ? null : "Error" });
    }
    lb.pump();
    return retried;
  };
  return {
    lb,
    live,
    sent,
    failed,
    outcomes,
    submit,
    finish,
    advance: (ms: number) => {
      now += ms;
      lb.tick();
    },
  };
}

Deno.test("LoadBalancer honours the high-water mark and counts unassigned tasks", () => {
  const h = harness([0, 1], { hwm: 1 });
  for (const id of ["a", "b", "c", "d"]) h.submit(id);
  assert.deepEqual(h.sent, [[0, "a"], [1, "b"]]);
  assert.equal(h.lb.unassigned, 2);
  h.finish(1, "b", true);
  assert.deepEqual(h.sent.at(-1), [1, "c"]);
  assert.equal(h.lb.unassigned, 1);
  // per-task hwm: a view with hwm 0 (unlimited) is not held back by the default scheduler
  h.submit("e", { hwm: 0 });
  assert.deepEqual(h.sent.at(-1), [0, "e"]);
});

Deno.test("LoadBalancer retries on a different engine, then reports the last error", () => {
  const h = harness([0, 1, 2], { hwm: 1 });
  h.submit("t", { retries: 2 });
  assert.deepEqual(h.sent, [[0, "t"]]);
  assert.equal(h.finish(0, "t", false), true);
  assert.deepEqual(h.sent.at(-1), [1, "t"]);
  assert.equal(h.finish(1, "t", false), true);
  assert.deepEqual(h.sent.at(-1), [2, "t"]);
  assert.equal(h.finish(2, "t", false), false); // retries used up: the result stands
  // engine failures are retried the same way, never on the engine that failed
  h.submit("u", { retries: 1 });
  const [first] = h.sent.at(-1)!;
  h.lb.engineFailed(first, "u", { ename: "EngineError", evalue: "died", stack: "" });
  h.lb.pump();
  assert.notEqual(h.sent.at(-1)![0], first);
});

Deno.test("LoadBalancer waits a while for a replacement engine, then fails the retry", () => {
  const h = harness([0], { hwm: 1, replacementWaitMs: 1000 });
  h.submit("t", { retries: 3 });
  h.lb.engineFailed(0, "t", { ename: "EngineError", evalue: "engine 0 died", stack: "" });
  h.live.delete(0);
  h.lb.engineRemoved(0);
  h.live.add(1);
  h.lb.engineAdded(1);
  h.lb.pump();
  assert.deepEqual(h.sent.at(-1), [1, "t"]); // the replacement took it
  h.lb.engineFailed(1, "t", { ename: "EngineError", evalue: "engine 1 died", stack: "" });
  h.lb.pump(); // blocked from now on: it failed on every engine there is
  h.advance(999);
  assert.equal(h.failed.size, 0); // still waiting for another engine
  h.advance(2);
  const err = h.failed.get("t")!;
  assert.equal(err.ename, "EngineError");
  assert.match(err.evalue, /engine 1 died \(retries stopped: .* engine\(s\) 0, 1 /);
  assert.equal(h.lb.unassigned, 0);
});

Deno.test("LoadBalancer fails a retry at once when it failed on every live engine", () => {
  const h = harness([0, 1], { hwm: 1, replacementWaitMs: 1000 });
  h.submit("t", { retries: 5 });
  h.finish(0, "t", false);
  h.finish(1, "t", false); // both engines are alive: no replacement will come
  const err = h.failed.get("t")!;
  assert.match(
    err.evalue,
    /failed on 1 \(retries stopped: .* engine\(s\) 0, 1 and there is no other engine\)/,
  );
});

Deno.test("LoadBalancer does not retry aborted or timed-out tasks", () => {
  const h = harness([0, 1]);
  h.submit("t", { retries: 3 });
  const r = (ename: string): TaskResult => ({
    msgId: "t",
    engineId: 0,
    ok: false,
    error: { ename, evalue: "", stack: "" },
    executionCount: 0,
    submitted: 0,
    started: 0,
    completed: 0,
  });
  assert.equal(h.lb.taskFinished(0, "t", r("TaskTimeout")), false);
  h.submit("u", { retries: 3 });
  assert.equal(h.lb.taskFinished(1, "u", { ...r("TaskAborted"), msgId: "u", engineId: 1 }), false);
});

Deno.test("LoadBalancer dependencies: after waits, follow pins, failures propagate", () => {
  const h = harness([0, 1, 2], { hwm: 0 });
  h.submit("a");
  h.submit("b", { after: ["a"] });
  h.submit("c", { follow: ["a"] });
  assert.deepEqual(h.sent, [[0, "a"]]);
  assert.equal(h.lb.unassigned, 2);
  h.finish(0, "a", true);
  assert.deepEqual(h.sent.map(([, m]) => m), ["a", "b", "c"]);
  assert.equal(h.sent.find(([, m]) => m === "c")![0], 0);
  h.submit("x");
  h.submit("y", { after: ["x"] });
  h.submit("z", { after: ["y"] });
  h.finish(h.sent.find(([, m]) => m === "x")![0], "x", false);
  assert.equal(h.failed.get("y")?.ename, "ImpossibleDependency");
  assert.equal(h.failed.get("z")?.ename, "ImpossibleDependency"); // transitively
  h.submit("self", { after: ["self"] });
  assert.equal(h.failed.get("self")?.ename, "InvalidDependency");
  h.submit("ghost", { follow: ["never-submitted"] });
  assert.equal(h.failed.get("ghost")?.ename, "InvalidDependency");
});

Deno.test("LoadBalancer fails tasks whose allowed engines are gone, at once", () => {
  const h = harness([0, 1], { hwm: 1 });
  h.submit("a", { targets: [1] });
  h.submit("b", { targets: [1] });
  h.submit("c", { targets: [1] });
  assert.deepEqual(h.sent, [[1, "a"]]);
  h.live.delete(1);
  h.lb.engineRemoved(1);
  h.lb.pump();
  assert.equal(h.failed.get("b")?.ename, "ImpossibleDependency");
  assert.equal(h.failed.get("c")?.ename, "ImpossibleDependency");
  // a follow dependency on a dead engine
  h.outcomes.set("done-on-1", { ok: true, engineId: 1, ename: null });
  h.submit("f", { follow: ["done-on-1"] });
  assert.match(h.failed.get("f")!.evalue, /follow dependencies ran on \(1\) are gone/);
  // with no engines at all, plain tasks wait for engines instead of failing
  h.live.delete(0);
  h.lb.engineRemoved(0);
  h.submit("later");
  h.advance(60_000);
  assert.equal(h.failed.has("later"), false);
  h.live.add(2);
  h.lb.engineAdded(2);
  h.lb.pump();
  assert.deepEqual(h.sent.at(-1), [2, "later"]);
});

Deno.test("LoadBalancer.abort() removes unplaced tasks only", () => {
  const h = harness([0], { hwm: 1 });
  h.submit("run");
  h.submit("q1");
  h.submit("q2", { after: ["run"] });
  assert.deepEqual(h.lb.abort(["run", "q1", "q2", "unknown"]), ["q1", "q2"]);
  assert.equal(h.lb.unassigned, 0);
  h.finish(0, "run", true);
  assert.deepEqual(h.sent, [[0, "run"]]);
});

Deno.test("LoadBalancer places 10,000 queued tasks without rescanning the queue", () => {
  const h = harness([0, 1], { hwm: 1 });
  for (let i = 0; i < 10_000; i++) h.submit(`t${i}`, { targets: [0, 1] });
  for (let i = 0; i < 10_000; i++) {
    const [e, m] = h.sent[i]!;
    h.finish(e, m, true);
  }
  assert.equal(h.sent.length, 10_000);
  assert.deepEqual(h.sent.slice(0, 4).map(([, m]) => m), ["t0", "t1", "t2", "t3"]);
  assert.equal(h.lb.unassigned, 0);
});

/** Tasks sent to each engine and not finished yet, oldest first. */
function outstandingOf(h: ReturnType<typeof harness>, done: Set<MsgId>): Map<EngineId, MsgId[]> {
  const out = new Map<EngineId, MsgId[]>();
  for (const [e, m] of h.sent) {
    if (done.has(m)) continue;
    out.set(e, [...(out.get(e) ?? []), m]);
  }
  return out;
}

/** Finishes the oldest task of every busy engine once; returns the most outstanding seen. */
function finishRound(h: ReturnType<typeof harness>, done: Set<MsgId>, runMs: number): number {
  let most = 0;
  for (const [e, ids] of outstandingOf(h, done)) {
    most = Math.max(most, ids.length);
    done.add(ids[0]!);
    h.finish(e, ids[0]!, true, runMs);
  }
  return most;
}

Deno.test("LoadBalancer's automatic mark: 1 per engine at first, up to 16 for tiny tasks", () => {
  const h = harness([0, 1]); // no hwm given: "auto"
  for (let i = 0; i < 200; i++) h.submit(`t${i}`);
  assert.deepEqual(h.sent.map(([e]) => e), [0, 1], "nothing behind a task of unknown length");
  const done = new Set<MsgId>();
  const seen: number[] = [];
  for (let round = 0; round < 6; round++) seen.push(finishRound(h, done, 0));
  // one doubling per result: each engine has 1, then more as results show tiny run times
  assert.equal(seen[0], 1);
  assert.ok(seen.at(-1)! === 16, `most outstanding per engine: ${seen.join(", ")}`);
  for (const ids of outstandingOf(h, done).values()) assert.ok(ids.length <= 16);
});

Deno.test("LoadBalancer's automatic mark falls to 2 with one long task; explicit marks stay", () => {
  const h = harness([0, 1]);
  for (let i = 0; i < 300; i++) h.submit(`t${i}`);
  const done = new Set<MsgId>();
  for (let round = 0; round < 8; round++) finishRound(h, done, 0);
  assert.equal(Math.max(...[...outstandingOf(h, done).values()].map((x) => x.length)), 16);
  // a 300 ms task: engines take no new task until they are below 2 outstanding
  const [e, ids] = [...outstandingOf(h, done)][0]!;
  done.add(ids[0]!);
  const before = h.sent.length;
  h.finish(e, ids[0]!, true, 300);
  assert.equal(h.sent.length, before, "nothing new placed above the lowered mark");
  for (let round = 0; round < 15; round++) finishRound(h, done, 1);
  const counts = [...outstandingOf(h, done).values()].map((x) => x.length);
  assert.ok(counts.every((n) => n <= 2), `outstanding ${counts.join(", ")}`);
  // a view's own mark is kept whatever the run times
  const fixed = harness([0, 1]);
  for (let i = 0; i < 100; i++) fixed.submit(`f${i}`, { hwm: 3 });
  const fdone = new Set<MsgId>();
  for (let round = 0; round < 10; round++) assert.ok(finishRound(fixed, fdone, 0) <= 3);
  // and "auto" can be asked for on a controller whose default is a number
  const asked = harness([0, 1], { hwm: 1 });
  for (let i = 0; i < 100; i++) asked.submit(`a${i}`, { hwm: "auto" });
  const adone = new Set<MsgId>();
  const most: number[] = [];
  for (let round = 0; round < 6; round++) most.push(finishRound(asked, adone, 0));
  assert.equal(most.at(-1), 16);
});

Deno.test("LoadBalancer's automatic mark starts over when a batch is done", () => {
  const h = harness([0, 1]);
  for (let i = 0; i < 100; i++) h.submit(`t${i}`);
  const done = new Set<MsgId>();
  let most = 0;
  while (outstandingOf(h, done).size > 0) most = Math.max(most, finishRound(h, done, 0));
  assert.equal(most, 16);
  const before = h.sent.length;
  for (let i = 0; i < 50; i++) h.submit(`n${i}`);
  assert.equal(h.sent.length - before, 2, "1 per engine: run times of the last batch forgotten");
});

Deno.test("LoadBalancer refuses a bad hwm with a message that names auto", () => {
  const h = harness([0]);
  h.submit("x", { hwm: -1 });
  assert.match(h.failed.get("x")!.evalue, /hwm must be an integer >= 0 or "auto", got -1/);
});

Deno.test("LoadBalancer's automatic mark falls when an engine says a task runs long", () => {
  const h = harness([0, 1]);
  for (let i = 0; i < 300; i++) h.submit(`t${i}`);
  const done = new Set<MsgId>();
  for (let round = 0; round < 8; round++) finishRound(h, done, 0);
  const [e, ids] = [...outstandingOf(h, done)][0]!;
  h.lb.taskRunning(e, ids[0]!); // its engine's `started` announcement
  h.lb.taskRunning(e, "not-placed"); // ignored
  // the other engine finishes a task: with the mark at 2 it gets no new one
  const [other, oids] = [...outstandingOf(h, done)][1]!;
  done.add(oids[0]!);
  const before = h.sent.length;
  h.finish(other, oids[0]!, true, 0);
  assert.equal(h.sent.length, before);
});

Deno.test("LoadBalancer: a task under which 3 engines died is not retried again, retries or not", () => {
  const h = harness([0, 1, 2, 3, 4, 5], { hwm: 1 });
  /** Kills the engine running `msgId`; returns whether it was retried, and the error. */
  const kill = (msgId: MsgId, evalue: (engine: EngineId) => string) => {
    const [engine] = h.sent.at(-1)!;
    h.live.delete(engine);
    const error = { ename: "EngineError", evalue: evalue(engine), stack: "" };
    const retried = h.lb.engineFailed(engine, msgId, error);
    h.lb.engineRemoved(engine);
    h.lb.pump();
    return { engine, retried, error };
  };
  h.submit("p", { retries: 5 });
  const deaths = [0, 1, 2].map(() => kill("p", (e) => `engine ${e} died while running task p`));
  assert.deepEqual(deaths.map((d) => d.retried), [true, true, false], "two retries, then no more");
  assert.equal(h.sent.length, 3);
  const died = deaths.map((d) => d.engine);
  assert.equal(
    deaths[2]!.error.evalue,
    `engine ${died[2]} died while running task p; task p was running on engines ` +
      `${died.join(", ")} when each of them died: the task itself may be what kills them ` +
      "(memory, a crash, a signal to its own process), so it is not retried again",
  );
  // a task that ran out of retries after two deaths says so too, without the cap
  h.submit("q", { retries: 1 });
  const q = [0, 1].map(() => kill("q", () => "died"));
  assert.deepEqual(q.map((d) => d.retried), [true, false]);
  assert.match(
    q[1]!.error.evalue,
    /^died; task q was running on engines \d, \d when each of them died/,
  );
  assert.doesNotMatch(q[1]!.error.evalue, /not retried again/);
  // one death says nothing about the task
  h.submit("r");
  assert.equal(kill("r", () => "died").error.evalue, "died");
  // engines stopped on purpose are not counted: a task that lost 3 that way still retries
  h.live.add(6).add(7).add(8).add(9);
  for (const id of [6, 7, 8, 9]) h.lb.engineAdded(id);
  h.submit("s", { retries: 5 });
  const stops = [0, 1, 2].map(() => {
    const [engine] = h.sent.at(-1)!;
    h.live.delete(engine);
    const error = { ename: "EngineError", evalue: "it stopped (SIGTERM)", stack: "" };
    const retried = h.lb.engineFailed(engine, "s", error, false, true);
    h.lb.engineRemoved(engine);
    h.lb.pump();
    return retried;
  });
  assert.deepEqual(stops, [true, true, true]);
});

Deno.test("LoadBalancer: an engine running a long task takes no more tasks of an automatic mark until it ends", () => {
  const h = harness([0, 1]);
  for (let i = 0; i < 6; i++) h.submit(`t${i}`);
  assert.deepEqual(h.sent, [[0, "t0"], [1, "t1"]]);
  h.lb.taskRunning(0, "t0"); // engine 0 says t0 still runs after 20 ms: a long one
  h.lb.taskRunning(1, "t1");
  h.finish(1, "t1", true, 50); // a 50 ms task: the mark is 2 now
  // engine 1 takes two; engine 0, busy with its long task, none
  assert.deepEqual(h.sent.slice(2), [[1, "t2"], [1, "t3"]]);
  h.lb.taskRunning(1, "t2");
  h.finish(1, "t2", true, 50);
  assert.deepEqual(h.sent.slice(4), [[1, "t4"]]);
  // the long task ends: engine 0 takes tasks again
  h.finish(0, "t0", true, 1000);
  assert.deepEqual(h.sent.slice(5), [[0, "t5"]]);
  // an explicit mark is the user's: engines fill up to it whatever runs
  const fixed = harness([0]);
  for (let i = 0; i < 3; i++) fixed.submit(`f${i}`, { hwm: 2 });
  fixed.lb.taskRunning(0, "f0");
  fixed.finish(0, "f1", true, 50);
  assert.deepEqual(fixed.sent.map(([, m]) => m), ["f0", "f1", "f2"]);
});
