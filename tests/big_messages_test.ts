/**
 * Messages past the controller's frame limit (`--max-frame-mb 1`), against real `ipx controller`
 * and `ipx engine` processes: what cannot be sent fails with an error that says so and what to
 * do, nothing else is disturbed (no dropped connection, no lost task), and what fits is sent in
 * as many frames as it takes.
 */

import assert from "node:assert/strict";
import { CompositeError, RemoteError } from "../mod.ts";
import { startLiveCluster } from "./security_fixture.ts";

const KIB = 1024;
/** A regression here would otherwise hang: each wait fails after this long instead. */
const T = 30_000;

/** The one remote error inside what `p` rejects with. */
async function remoteError(p: Promise<unknown>): Promise<RemoteError> {
  try {
    await p;
  } catch (error) {
    const e = error instanceof CompositeError ? error.errors[0] : error;
    assert.ok(e instanceof RemoteError, String(error));
    return e;
  }
  assert.fail("expected a failure");
}

Deno.test("messages past the frame limit fail clearly; those within it all arrive", async (t) => {
  await using c = await startLiveCluster({
    engines: 1,
    tls: false,
    controllerArgs: ["--max-frame-mb", "1"],
  });
  const engine = c.client.ids[0]!;
  const view = c.client.directView(engine);
  const pid = c.client.engines[0]!.pid;

  await t.step("a push larger than the limit is not sent, and says why", async () => {
    const e = await remoteError(view.push({ big: new Uint8Array(2 * 1024 * KIB) }).get(T));
    assert.equal(e.ename, "MessageTooLarge");
    assert.equal(e.engineId, engine, "it names the engine it was for");
    assert.match(
      e.message,
      new RegExp(`^MessageTooLarge on this client \\(task for engine ${engine}\\): `),
    );
    assert.match(
      e.evalue,
      /^This push is 2\.0 MiB encoded, more than the controller accepts in one message \(1\.0 MiB, its --max-frame-mb\); it was not sent\. .*larger --max-frame-mb/,
    );
    assert.deepEqual(await view.apply(() => 6 * 7).get(T), [42], "the link is as it was");
  });

  await t.step("pushes that fit one by one but not together are sent apart", async () => {
    const a = new Uint8Array(600 * KIB).fill(1);
    const b = new Uint8Array(600 * KIB).fill(2);
    await Promise.all([view.push({ a }).get(T), view.push({ b }).get(T)]); // one tick: one frame would not do
    const sums = await view.execute("[a.reduce((s, x) => s + x, 0), b.length]").get(T);
    assert.deepEqual(sums, [[600 * KIB, 600 * KIB]]);
  });

  await t.step(
    "a result larger than the limit fails with ResultTooLarge; the engine stays",
    async () => {
      const e = await remoteError(view.execute("new Uint8Array(2 * 1024 * 1024)").get(T));
      assert.equal(e.ename, "ResultTooLarge");
      assert.match(
        e.evalue,
        /^The result of task \S+ is 2\.0 MiB encoded, more than the controller accepts in one message \(1\.0 MiB, its --max-frame-mb\); it was not sent/,
      );
      // the two 600 KiB names pulled together would be too large as well; one by one they are not
      const both = await remoteError(view.pull(["a", "b"]).get(T));
      assert.equal(both.ename, "ResultTooLarge");
      const [a] = await view.pull("a").get(T) as Uint8Array[];
      assert.equal(a!.length, 600 * KIB);
      assert.deepEqual(c.client.ids, [engine], "same engine, not re-registered");
      assert.equal(c.client.engines[0]!.pid, pid);
    },
  );

  await t.step(
    "a printed line larger than the limit arrives whole, in pieces, in order",
    async () => {
      const r = view.execute(
        "console.log('z'.repeat(3 << 20) + '\u{1F600}'.repeat(1000)); console.log('after'); 'printed'",
      );
      assert.deepEqual(await r.get(T), ["printed"]);
      assert.equal(
        r.stdout[0],
        "z".repeat(3 << 20) + "\u{1F600}".repeat(1000) + "\nafter\n",
        "nothing dropped, no character cut in two",
      );
    },
  );

  await t.step(
    "results fetched by id come back even when all of them exceed one message",
    async () => {
      const tasks = [1, 2, 3, 4].map((k) =>
        view.apply((n: number) => new Uint8Array(600 * 1024).fill(n), k)
      );
      await Promise.all(tasks.map((r) => r.get(T)));
      const ids = tasks.flatMap((r) => r.msgIds);
      const again = await c.client.getResult(ids).get(T) as Uint8Array[];
      assert.deepEqual(again.map((v) => [v.length, v[0]]), [1, 2, 3, 4].map((k) => [600 * KIB, k]));
    },
  );
});
