import assert from "node:assert/strict";
import {
  assertCanFollow,
  ConnectionFileChangedError,
  EXIT_FILE_CHANGED,
  followReason,
} from "./file_follow.ts";

const started = { key: "k1", host: "127.0.0.1", port: 4000 };
const reachable = (ports: number[]) => (_host: string, port: number) => ports.includes(port);

Deno.test("followReason: the same file, or a new address the process may reach, needs no new process", () => {
  assert.equal(followReason(started, started, reachable([4000])), undefined);
  // e.g. user code allowed any network: the process can follow a move itself
  assert.equal(
    followReason(started, { ...started, port: 5000 }, reachable([4000, 5000])),
    undefined,
  );
});

Deno.test("followReason: a new key, an address outside the permissions, or both", () => {
  assert.equal(
    followReason(started, { ...started, key: "k2" }, reachable([4000])),
    "holds a new key",
  );
  const moved = followReason(started, { ...started, port: 5000 }, reachable([4000]));
  assert.match(
    moved ?? "",
    /^names the address 127\.0\.0\.1:5000, which this engine process may not reach/,
  );
  const both = followReason(started, { ...started, key: "k2", port: 5000 }, reachable([4000]));
  assert.match(both ?? "", /^holds a new key and names the address 127\.0\.0\.1:5000/);
  // the file changed between the supervisor's read and the process's: its own address is checked
  assert.match(followReason(started, started, reachable([])) ?? "", /127\.0\.0\.1:4000/);
});

Deno.test("assertCanFollow asks Deno's permissions: this test process may reach anything, so only a key change refuses", () => {
  const now = { ...started, port: 5000 };
  assert.equal(assertCanFollow(started, now, "/x/ipx-engine.json"), now);
  assert.throws(
    () => assertCanFollow(started, { ...started, key: "k2" }, "/x/ipx-engine.json"),
    (e: unknown) =>
      e instanceof ConnectionFileChangedError &&
      e.message.includes("the connection file /x/ipx-engine.json was rewritten") &&
      e.message.includes(`(exit code ${EXIT_FILE_CHANGED})`) && e.address === "127.0.0.1:4000",
  );
});
