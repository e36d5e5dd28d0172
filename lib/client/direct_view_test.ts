import assert from "node:assert/strict";
import { DirectView, functionSource, type Targets } from "./direct_view.ts";
import type { Session } from "./session.ts";

Deno.test("functionSource() keeps arrow functions, including async ones, as they are", () => {
  const arrows = [
    async () => await Promise.resolve(1),
    async (x: number) => await x,
    (x: number) => x + 1,
    async function named() {},
  ];
  for (const f of arrows) assert.equal(functionSource(f), `(${f.toString()})`);
});

Deno.test("functionSource() turns method shorthand into a function expression", () => {
  const o = {
    m(x: number) {
      return x;
    },
    async am() {},
  };
  assert.match(functionSource(o.m), /^\(function m ?\(x\)/);
  assert.match(functionSource(o.am), /^\(async function am ?\(\)/);
  assert.throws(() => functionSource(Math.max), TypeError);
  assert.throws(() => functionSource(class A {} as unknown as () => void), TypeError);
});

// A view never calls its session before a call resolves its targets: none is needed to check
// what is refused at creation or before sending.
const noSession = {} as Session;

Deno.test("DirectView refuses a target that is not an engine id at creation, saying why", () => {
  for (const bad of [-1, 1.5, "0", NaN, [0, -2], [0, "1"], null, {}, new Set([0])]) {
    assert.throws(
      () => new DirectView(noSession, bad as unknown as Targets),
      (e: Error) =>
        e instanceof TypeError &&
        e.message.startsWith(
          `Invalid DirectView targets: expected "all", an engine id or a list of engine ids ` +
            `(integers >= 0, see client.ids), got `,
        ),
      String(bad),
    );
  }
  assert.throws(() => new DirectView(noSession, -1), /got -1 \(a negative id does not count/);
  assert.throws(() => new DirectView(noSession, null as unknown as Targets), /got null$/);
  assert.throws(() => new DirectView(noSession, [0, "1"] as unknown as Targets), /a string/);
  assert.equal(new DirectView(noSession, 0).targets, 0);
  assert.equal(new DirectView(noSession).targets, "all");
  const list = [0, 2];
  const dv = new DirectView(noSession, list);
  list.push(-1); // later changes to the caller's array do not reach the view
  assert.deepEqual(dv.targets, [0, 2]);
});

Deno.test("DirectView refuses, before sending, inputs the controller would reject", () => {
  const dv = new DirectView(noSession, [0]);
  const call = (f: () => unknown) => () => void f();
  assert.throws(call(() => dv.pull(123 as unknown as string)), {
    name: "TypeError",
    message: 'pull() takes a variable name or a list of them, e.g. pull("a") or ' +
      'pull(["a", "b"]), but got a number (123)',
  });
  assert.throws(call(() => dv.pull([["a"]] as unknown as string[])), {
    name: "TypeError",
    message: "Cannot use an Array as a variable name: pass a string",
  });
  assert.throws(call(() => dv.pull("a".repeat(300))), /has 300 characters, and the controller/);
  assert.throws(call(() => dv.execute(42 as unknown as string)), {
    name: "TypeError",
    message: "execute() takes the code as a string, but got a number (42); to run a function, " +
      "use apply(fn, ...args)",
  });
  assert.throws(call(() => dv.push(null as unknown as Record<string, unknown>)), {
    name: "TypeError",
    message: "push() takes an object of names and values, e.g. push({ a: 1 }), but got null",
  });
  assert.throws(call(() => dv.map((x: number) => x, new Set([1]) as unknown as number[])), {
    name: "TypeError",
    message: /^map\(\) takes an array or a typed array.*got a Set/,
  });
  assert.throws(
    // @ts-expect-error: a second array, as in Python's map(f, xs, ys)
    call(() => dv.map((x: number) => x, [1], [2])),
    /^TypeError: DirectView\.map\(\) takes one array of inputs, but got 2 arguments after the function; to map over several arrays, zip them/,
  );
});

Deno.test("functionSource() says what a bound or built-in function is and what to send", () => {
  const f = (x: number) => x;
  assert.throws(() => functionSource(f.bind(null)), {
    name: "TypeError",
    message: "Cannot send a bound function (f.bind(…)): its source is not available; send the " +
      "original function and pass the bound values as arguments",
  });
  assert.throws(
    () => functionSource((() => 1).bind(null)),
    /^TypeError: Cannot send a bound function \(made with bind\(\)\): /,
  );
  assert.throws(() => functionSource(Math.max), {
    message: "Cannot send max: it is built in (native code), so it has no source to send; " +
      "wrap it, e.g. (...args) => max(...args)",
  });
  assert.throws(
    () => functionSource(class A {} as unknown as () => void),
    /^TypeError: Cannot send class A as a function: /,
  );
});
