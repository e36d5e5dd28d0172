import assert, { rejects } from "node:assert/strict";
import { AuthenticationError, ConnectionError } from "../protocol/errors.ts";
import type { ByteConn } from "../protocol/transport.ts";
import { ControllerDialer } from "./controller_dialer.ts";
import { ConnectionFileChangedError } from "./file_follow.ts";

/** A connect function that always fails with `error`, counting its calls. */
function failing(error: () => Error) {
  const calls = { n: 0 };
  const connect = (): Promise<ByteConn> => {
    calls.n++;
    return Promise.reject(error());
  };
  return { calls, connect };
}

const base = { key: "a2V5", keySource: "test", minBackoffMs: 1, maxBackoffMs: 2 };

Deno.test("ControllerDialer retries a controller that is down, logging each attempt, until stopped", async () => {
  const { calls, connect } = failing(() => new ConnectionError("refused"));
  const lines: string[] = [];
  const dialer = new ControllerDialer({ ...base, connect }, (m) => lines.push(m));
  assert.equal(await dialer.dial(() => calls.n >= 3), undefined);
  assert.equal(calls.n, 3);
  assert.match(lines[0]!, /^controller unreachable \(refused\); retrying in 1 ms$/);
  assert.match(lines[1]!, /retrying in 2 ms$/); // doubled, up to maxBackoffMs
});

Deno.test("ControllerDialer gives up after giveUpAfterMs, saying why", async () => {
  const { connect } = failing(() => new ConnectionError("refused"));
  const dialer = new ControllerDialer({ ...base, connect, giveUpAfterMs: 5 }, () => {});
  await rejects(dialer.dial(() => false), (e: unknown) => {
    assert(e instanceof ConnectionError);
    assert.match(e.message, /gave up reaching the controller after 5 ms: refused/);
    return true;
  });
});

for (
  const [what, error] of [
    ["a wrong key", () => new AuthenticationError("bad key")],
    ["a rewritten connection file", () => new ConnectionFileChangedError("new key in file")],
  ] as const
) {
  Deno.test(`ControllerDialer does not retry ${what}`, async () => {
    const { calls, connect } = failing(error);
    const dialer = new ControllerDialer({ ...base, connect }, () => {});
    await rejects(dialer.dial(() => false), error().constructor as ErrorConstructor);
    assert.equal(calls.n, 1);
  });
}
