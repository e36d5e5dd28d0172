import assert, { rejects } from "node:assert/strict";
import { startMemoryCluster } from "./_helpers/memory_cluster.ts";

Deno.test("push/pull and results keep invalid Dates, -0 and Error classes with their properties", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const dv = c.client.directView();
  const err = Object.assign(new RangeError("out of range", { cause: { at: 3 } }), {
    code: "E_RANGE",
  });
  await dv.push({ d: new Date(NaN), z: -0, zs: [-0, { z: -0 }], err });
  const [[d, z, zs, back]] = await dv.pull(["d", "z", "zs", "err"]) as unknown[][] as [
    [Date, number, [number, { z: number }], RangeError & { code?: string }],
  ];
  assert.ok(d instanceof Date && Number.isNaN(d.getTime()), `got ${d}`);
  assert.ok(Object.is(z, -0));
  assert.ok(Object.is(zs[0], -0) && Object.is(zs[1].z, -0));
  assert.ok(back instanceof RangeError);
  assert.equal(back.message, "out of range");
  assert.equal(back.code, "E_RANGE");
  assert.deepEqual(back.cause, { at: 3 });
  // the engine sees the same values
  assert.deepEqual(
    await dv.execute(
      "[isNaN(d.getTime()), Object.is(z, -0), err instanceof RangeError, err.code]",
    ),
    [[true, true, true, "E_RANGE"]],
  );
  // and results built on the engine come back the same way
  const [result] = await dv.execute(
    "[new Date(NaN), -0, Object.assign(new TypeError('t'), { errno: -2 }), " +
      "new AggregateError([new URIError('u')], 'agg')]",
  ) as unknown[][] as [[Date, number, TypeError & { errno?: number }, AggregateError]];
  assert.ok(Number.isNaN(result[0].getTime()));
  assert.ok(Object.is(result[1], -0));
  assert.ok(result[2] instanceof TypeError);
  assert.equal(result[2].errno, -2);
  assert.ok(result[3] instanceof AggregateError && result[3].errors[0] instanceof URIError);
});

Deno.test("results that cannot travel say what they are: a generator, a circular object", async () => {
  await using c = await startMemoryCluster({ engines: 1 });
  const dv = c.client.directView();
  await rejects(dv.apply(() => (function* () {})()), /Generator/);
  await rejects(
    dv.apply(() => {
      const o = { a: { back: undefined as unknown } };
      o.a.back = o;
      return o;
    }),
    /circular: value\.a\.back refers back to value/,
  );
});

Deno.test("scatter() of a string or a number is refused at once with a clear TypeError", async () => {
  await using c = await startMemoryCluster({ engines: 2 });
  const dv = c.client.directView();
  for (
    const [value, got] of [["abc", /got a string \("abc"\)/], [5, /got a number \(5\)/]] as const
  ) {
    assert.throws(
      () => dv.scatter("s", value as unknown as number[]),
      (e: unknown) => {
        assert.ok(e instanceof TypeError, String(e));
        assert.match(e.message, /^scatter\(\) takes an array or a typed array/);
        assert.match(e.message, got);
        return true;
      },
    );
  }
  // nothing was sent: the engines never saw `s`
  assert.deepEqual(await dv.execute("typeof s"), ["undefined", "undefined"]);
});
