import assert from "node:assert/strict";
import { startTestRepl } from "../../tests/_helpers/repl_capture.ts";
import { formatHelp } from "./magic_table.ts";

Deno.test("ReplSession runs %px on every engine and prints Out[EID:N]", async () => {
  await using r = await startTestRepl();
  assert.equal(await r.run("%px 1+1"), "Out[0:1]: 2\nOut[1:1]: 2\n");
  assert.equal(await r.run("%px let s: string = 'a'"), "");
  assert.equal(await r.run("%px s + s"), 'Out[0:3]: "aa"\nOut[1:3]: "aa"\n');
  assert.deepEqual(r.results, [{ failed: false, exit: false }]);
});

Deno.test("ReplSession runs plain input locally with rc, dv and lv bound", async () => {
  await using r = await startTestRepl();
  assert.equal(await r.run("let a: number = 5"), "");
  assert.equal(await r.run("a * 2"), "Out[2]: 10\n");
  assert.equal(await r.run("rc.ids"), "Out[3]: [ 0, 1 ]\n");
  assert.equal(await r.run("await dv.execute('40 + 2')"), "Out[4]: [ 42, 42 ]\n");
  assert.equal(await r.run("typeof lv.map"), 'Out[5]: "function"\n');
  assert.equal(
    await r.run("throw new TypeError('local bad')"),
    "Uncaught TypeError: local bad\n" +
      "    at <anonymous>:1:7\n",
  );
  assert.deepEqual(r.results, [{ failed: true, exit: false }]);
});

Deno.test("ReplSession continues incomplete statements on the next line", async () => {
  await using r = await startTestRepl({ engines: 1 });
  assert.equal(r.session.prompt, "In [1]: ");
  assert.equal(await r.run("function twice(x: number) {"), "");
  assert.equal(r.session.prompt, "   ...: ");
  assert.equal(await r.run("  return 2 * x", "}"), "");
  assert.equal(r.session.prompt, "In [2]: ");
  assert.equal(await r.run("twice(21)"), "Out[2]: 42\n");
  await r.run("const pending = [");
  r.session.cancelInput();
  assert.equal(r.session.prompt, "In [3]: ");
});

Deno.test("ReplSession prints engine errors with a CompositeError summary", async () => {
  await using r = await startTestRepl({ engines: 3 });
  const out = await r.run("%px throw new RangeError('boom')");
  assert.equal(
    out,
    "[0:execute] RangeError: boom\n    at <anonymous>:1:7\n" +
      "[1:execute] RangeError: boom\n    at <anonymous>:1:7\n" +
      "[2:execute] RangeError: boom\n    at <anonymous>:1:7\n" +
      "CompositeError: 3 errors on engines 0,1,2\n",
  );
  assert.deepEqual(r.results, [{ failed: true, exit: false }]);
});

Deno.test("ReplSession labels a single engine's stdout as it labels its stderr", async () => {
  await using r = await startTestRepl({ engines: 2 });
  const code = "console.log('hi'); console.error('warn'); 7";
  assert.equal(await r.run(`%px -t 0 ${code}`), "[stdout:0] hi\n[stderr:0] warn\nOut[0:1]: 7\n");
  assert.equal(
    await r.run(`%px -t 1 --no-stream ${code}`),
    "[stdout:1] hi\n[stderr:1] warn\nOut[1:1]: 7\n",
  );
});

Deno.test("ReplSession %%px applies its options for one cell only", async () => {
  await using r = await startTestRepl({ engines: 3 });
  const out = await r.run(
    "%%px --targets ::2 --no-stream --group-outputs engine",
    "console.log('from', 1)",
    "'done'",
    "",
  );
  assert.equal(
    out,
    '[stdout:0] from 1\nOut[0:1]: "done"\n[stdout:2] from 1\nOut[2:1]: "done"\n',
  );
  assert.equal(await r.run("%px 5"), "Out[0:2]: 5\nOut[1:1]: 5\nOut[2:2]: 5\n");
  assert.equal(await r.run("%%px -t -1", "6", ""), "Out[2:3]: 6\n");
});

Deno.test("ReplSession %px takes the options of %%px in front of its code", async () => {
  await using r = await startTestRepl({ engines: 3 });
  assert.equal(await r.run("%px --targets 0 1 + 1"), "Out[0:1]: 2\n");
  assert.equal(await r.run("%px -t 1:3 --no-stream 'a b'"), 'Out[1:1]: "a b"\nOut[2:1]: "a b"\n');
  // `--` ends the options: code may start with a dash
  assert.equal(await r.run("%px -t 0 -- -3"), "Out[0:2]: -3\n");
  assert.match(
    await r.run("%px --targets=2 --noblock -o later 40 + 2"),
    /^<AsyncResult\(%px\) on engines 2: pending> bound to later /,
  );
  assert.equal(await r.run("(await later)[0]"), "Out[5]: 42\n");
  // the defaults are untouched
  assert.equal(await r.run("%px 7"), "Out[0:3]: 7\nOut[1:2]: 7\nOut[2:3]: 7\n");
  assert.equal(
    await r.run("%px --bogus 1"),
    "UsageError: Unknown option --bogus for %px: its options are --targets, --block, " +
      "--noblock, --group-outputs, --stream, --no-stream, --out; code that starts with a dash " +
      "goes after --, e.g. %px -- -x (see %help)\n",
  );
  assert.deepEqual(r.results, [{ failed: true, exit: false }]);
  assert.match(await r.run("%px --targets 9 1"), /^UsageError: Cannot target engine 9/);
});

Deno.test("ReplSession --noblock binds the AsyncResult; %pxresult and await show it", async () => {
  await using r = await startTestRepl();
  assert.equal(
    await r.run("%pxresult"),
    "UsageError: %pxresult recalls the last %px result, but no %px has run yet; run %px CODE first\n",
  );
  assert.deepEqual(r.results, [{ failed: true, exit: false }]);
  assert.equal(
    await r.run("%%px --noblock", "console.log('nb'); 3", ""),
    "<AsyncResult(%px) on engines 0,1: pending> bound to _ (%pxresult or await _ shows it)\n",
  );
  assert.equal(await r.run("await _"), "Out[3]: [ 3, 3 ]\n");
  assert.equal(
    await r.run("%pxresult"),
    "[stdout:0] nb\nOut[0:1]: 3\n[stdout:1] nb\nOut[1:1]: 3\n",
  );
  assert.equal(
    await r.run("%pxresult --group-outputs type"),
    "[stdout:0] nb\n[stdout:1] nb\n" +
      "Out[0:1]: 3\nOut[1:1]: 3\n",
  );
  assert.match(await r.run("%%px -o held", "4", ""), /^Out\[0:2\]: 4\nOut\[1:2\]: 4\n$/);
  assert.equal(await r.run("await held"), "Out[7]: [ 4, 4 ]\n");
  assert.equal(await r.run("held"), "Out[8]: <AsyncResult(execute) on engines 0,1: done>\n");
});

Deno.test("ReplSession %autopx sends every input to the engines and back", async () => {
  await using r = await startTestRepl();
  assert.equal(await r.run("%autopx"), "%autopx enabled\n");
  assert.equal(r.session.prompt, "[autopx] In [2]: ");
  assert.equal(await r.run("let onEngine = 7"), "");
  assert.equal(await r.run("onEngine * 6"), "Out[0:2]: 42\nOut[1:2]: 42\n");
  assert.equal(await r.run("%autopx"), "%autopx disabled\n");
  assert.equal(r.session.prompt, "In [5]: ");
  assert.match(await r.run("onEngine"), /^Uncaught ReferenceError: onEngine is not defined/);
});

Deno.test("ReplSession %pxconfig changes the defaults and reports them", async () => {
  await using r = await startTestRepl({ engines: 3 });
  assert.equal(
    await r.run("%pxconfig --targets ::2 --noblock"),
    "%pxconfig: --targets ::2 (engines 0,2) --noblock --stream --group-outputs engine\n",
  );
  assert.match(await r.run("%px 1"), /^<AsyncResult\(%px\) on engines 0,2: pending>/);
  assert.equal(
    await r.run("%pxconfig --block -t 1"),
    "%pxconfig: --targets 1 --block --stream " +
      "--group-outputs engine\n",
  );
  assert.equal(await r.run("%px 2"), "Out[1:1]: 2\n");
  assert.equal(
    await r.run("%pxconfig -t 9"),
    "%pxconfig: --targets 9 --block --stream --group-outputs engine\n" +
      "Warning: Cannot target engine 9: it is not registered (engines: 0,1,2); %engines lists " +
      "them. The setting is kept for engines that register later; until then %px fails " +
      "(%pxconfig --targets all targets every engine)\n",
  );
  assert.equal(
    await r.run("%px 3"),
    "UsageError: Cannot target engine 9: it is not registered (engines: 0,1,2); %engines lists them\n",
  );
});

Deno.test("ReplSession %pxconfig --targets of an engine that left says its id will not come back", async () => {
  await using r = await startTestRepl({ engines: 3 });
  const left = Promise.withResolvers<void>();
  r.cluster.client.onEngine((e) => {
    if (e.type === "unregistered" && e.engineId === 1) left.resolve();
  });
  await r.cluster.engines[1]!.stop();
  await left.promise;
  assert.equal(
    await r.run("%pxconfig --targets 1"),
    "%pxconfig: --targets 1 --block --stream --group-outputs engine\n" +
      "Warning: Cannot target engine 1: it is not registered (engines: 0,2); %engines lists " +
      "them. Engine ids are never given twice and a later engine has registered, so engine 1 " +
      "will not come back: pick live ids from %engines (or %pxconfig --targets all for every " +
      "engine); until then %px fails\n",
  );
  // an id past the newest may still be given to an engine that registers later
  assert.match(await r.run("%pxconfig --targets 5"), /The setting is kept for engines that/);
});

Deno.test("ReplSession %engines, %help, %exit and bad magics", async () => {
  await using r = await startTestRepl();
  const engines = await r.run("%engines");
  const lines = engines.trimEnd().split("\n");
  assert.match(lines[0]!, /^id\s+host\s+pid\s+data dir\s+state\s+queue$/);
  assert.match(lines[1]!, new RegExp(`^0\\s+\\S+\\s+${Deno.pid}\\s+\\S+\\s+idle\\s+0$`));
  assert.equal(lines.length, 3);
  assert.equal(await r.run("%help"), formatHelp());
  assert.equal(await r.run("%nope"), "UsageError: Unknown magic %nope; %help lists the magics\n");
  assert.equal(
    await r.run("%px"),
    "UsageError: %px needs code on the same line, after its options: %px [options] CODE " +
      "(e.g. %px 1 + 1, %px --targets 0 1 + 1)\n",
  );
  assert.match(await r.run("%engines now"), /^UsageError: Unknown argument "now" for %engines/);
  assert.match(await r.run("%%px --bad", "1", ""), /^UsageError: Unknown option --bad for %%px/);
  assert.equal(await r.run("%exit"), "");
  assert.deepEqual(r.results, [{ failed: false, exit: true }]);
});

Deno.test("ReplSession end() runs a cell left open at the end of the input", async () => {
  await using r = await startTestRepl({ engines: 1 });
  await r.run("%%px", "21 * 2");
  await r.session.end();
  assert.equal(r.sink.take(), "Out[0:1]: 42\n");
});

Deno.test("ReplSession stops waiting for a local cell on Ctrl-C", async () => {
  await using r = await startTestRepl({ engines: 1 });
  const fed = r.session.feed("await new Promise(() => {})");
  assert.equal(r.session.interrupt(), true);
  assert.deepEqual(await fed, { failed: true, exit: false });
  assert.equal(
    r.sink.take(),
    "KeyboardInterrupt: stopped waiting for the local cell (it waits on a promise, which " +
      "cannot be stopped: it goes on in the background)\n",
  );
  assert.equal(r.session.interrupt(), false);
  assert.equal(await r.run("'next'"), 'Out[2]: "next"\n');
});

Deno.test("ReplSession %engines shows live state and queue", async () => {
  await using r = await startTestRepl();
  await r.run("%%px --noblock --targets 0", "await new Promise(() => {})", "");
  const rows = (await r.run("%engines")).trimEnd().split("\n").slice(1);
  assert.match(rows[0]!, /^0\s+\S+\s+\d+\s+\S+\s+busy\s+1$/);
  assert.match(rows[1]!, /^1\s+\S+\s+\d+\s+\S+\s+idle\s+0$/);
  assert.equal(await r.run("_.interrupt()"), "");
  // stopped while it ran, or (a loaded machine) before the engine's code worker started it
  assert.match(
    await r.run("%pxresult"),
    /namespace reset on engines 0 |the code never started on engines 0:/,
  );
  assert.match(await r.run("%engines"), /\n0\s+\S+\s+\d+\s+\S+\s+idle\s+0\n/);
});

Deno.test("ReplSession %px with no engines says so and how to start some", async () => {
  await using r = await startTestRepl({ engines: 0 });
  const out = await r.run("%px 2");
  assert.match(out, /^UsageError: No engines are registered with the controller /);
  assert.match(out, /start some with `ipx engine --n 2/);
  assert.doesNotMatch(out, /--targets|%pxconfig/);
  assert.deepEqual(r.results, [{ failed: true, exit: false }]);
  assert.match(await r.run("%engines"), /^No engines are registered with the controller /);
  assert.deepEqual(r.results, [{ failed: false, exit: false }]);
});

Deno.test("ReplSession %px with the controller gone says it cannot reach it", async () => {
  await using r = await startTestRepl({ engines: 0, probeMs: 50 });
  await r.cluster.controller.close();
  const out = await r.run("%px 2");
  assert.match(
    out,
    /^ConnectionError: Cannot reach the controller from [^:]+: it did not answer within 50 ms \(stopped, or too busy; the REPL reconnects by itself if the link dropped\); start the controller again/,
  );
  assert.doesNotMatch(out, /--targets|%pxconfig/);
  assert.match(await r.run("%engines"), /^ConnectionError: Cannot reach the controller/);
});

Deno.test("ReplSession shows a local cell's RemoteError with its remote stack", async () => {
  await using r = await startTestRepl({ engines: 2 });
  assert.equal(
    await r.run(
      'await rc.directView(1).apply(function boom() { throw new RangeError("remote bad") })',
    ),
    "Uncaught RemoteError: RangeError on engine 1: remote bad\n    at boom (<anonymous>:1:27)\n",
  );
  assert.equal(
    await r.run("await dv.push({ s: Symbol() })"),
    "Uncaught SerializationError: Cannot serialize a value of type symbol: ipx sends null, " +
      "undefined, booleans, numbers, bigints, strings, arrays, plain objects, Date, Map, Set, " +
      "typed arrays and Error\n",
  );
});
