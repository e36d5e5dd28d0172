import assert from "node:assert/strict";
import { LoadBalancedView, type MapOptions } from "./load_balanced_view.ts";
import type { Session } from "./session.ts";

// map() refuses its inputs before submitting anything, so no session is needed.
const noSession = {} as Session;
const double = (x: number) => x * 2;

Deno.test("LoadBalancedView.map refuses what is not an array, as DirectView.map does", () => {
  const lv = new LoadBalancedView(noSession);
  function* gen() {
    yield 1;
  }
  for (
    const [input, got] of [
      [new Set([1, 2]), "a Set"],
      [gen(), "a Generator"],
      [[1, 2][Symbol.iterator](), "an Iterator"],
      ["abc", 'a string ("abc")'],
      [5, "a number (5)"],
      [new DataView(new ArrayBuffer(4)), "a DataView"],
    ] as const
  ) {
    assert.throws(() => lv.map(double, input as unknown as number[]), {
      name: "TypeError",
      message:
        `LoadBalancedView.map() takes an array or a typed array of inputs, but got ${got}; ` +
        `pass an array of the items (e.g. Array.from(value)), or use imap() to map over an ` +
        `iterable lazily`,
    });
  }
});

Deno.test("LoadBalancedView.map refuses a second array instead of taking it for options", () => {
  const lv = new LoadBalancedView(noSession);
  assert.throws(() => lv.map(double, [1, 2], [3, 4] as unknown as MapOptions), {
    name: "TypeError",
    message:
      /^LoadBalancedView\.map\(\) takes options \{ ordered, chunksize \} after the array, but got a second array; .*zip them/,
  });
  assert.throws(
    // @ts-expect-error: three sequences
    () => lv.map(double, [1], [2], [3]),
    /^TypeError: LoadBalancedView\.map\(\) takes one array of inputs and then options \{ ordered, chunksize \}, but got 3 arguments after the function/,
  );
  assert.throws(() => lv.map(double, [1], "fast" as unknown as MapOptions), /but got a string/);
});

Deno.test("LoadBalancedView.map refuses a chunksize that is not an integer >= 1", () => {
  const lv = new LoadBalancedView(noSession);
  for (const chunksize of [0, -1, 1.5, NaN, Infinity]) {
    assert.throws(() => lv.map(double, [1], { chunksize }), {
      name: "RangeError",
      message: `Invalid 'chunksize': expected an integer >= 1 (items per task), got ${chunksize}`,
    });
  }
  assert.throws(
    () => lv.map(double, [1], { chunksize: "2" as unknown as number }),
    /^RangeError: Invalid 'chunksize': .*got a string \("2"\)$/,
  );
  assert.throws(
    () => lv.map(double, [1], { ordered: "no" as unknown as boolean }),
    /^TypeError: Invalid 'ordered': expected true or false, got a string/,
  );
});

Deno.test("LoadBalancedView.imap refuses a non-iterable and a bad maxOutstanding at once", async () => {
  const lv = new LoadBalancedView(noSession);
  await assert.rejects(() => lv.imap(double, 5 as unknown as number[]).next(), {
    name: "TypeError",
    message: /^imap\(\) takes an iterable or async iterable of inputs .*but got a number \(5\)$/,
  });
  await assert.rejects(
    () => lv.imap(double, "ab" as unknown as number[]).next(),
    /pass \[\.\.\.text\]/,
  );
  for (const maxOutstanding of [0, NaN, 2.5]) {
    await assert.rejects(() => lv.imap(double, [1], { maxOutstanding }).next(), {
      name: "RangeError",
      message: `Invalid 'maxOutstanding': expected an integer >= 1 (tasks in flight), got ` +
        maxOutstanding,
    });
  }
});

Deno.test("LoadBalancedView refuses, before sending, inputs the controller would reject", () => {
  assert.throws(
    () => new LoadBalancedView(noSession, { label: 5 as unknown as string }),
    { name: "TypeError", message: "Invalid 'label': expected a string, got a number (5)" },
  );
  assert.throws(
    () => new LoadBalancedView(noSession, { after: ["x".repeat(300)] }),
    /^TypeError: Invalid 'after' entry "x{40}": expected a task id \(a string of 1 to 256 characters/,
  );
  assert.throws(
    () => new LoadBalancedView(noSession, { follow: [""] }),
    /Invalid 'follow' entry ""/,
  );
  assert.throws(() => new LoadBalancedView(noSession).execute(null as unknown as string), {
    name: "TypeError",
    message: "execute() takes the code as a string, but got null; to run a function, use " +
      "apply(fn, ...args)",
  });
});
