/**
 * A live cluster with one real engine process (started by `ipx engine`, so with the engine's
 * real permission flags) for sandbox tests, and helpers to run user code on it and check that
 * a denial reaches the client as a RemoteError while the engine keeps working.
 *
 * @module
 */

import assert from "node:assert/strict";
import { RemoteError } from "../lib/client/errors.ts";
import { type LiveCluster, startLiveCluster } from "./security_fixture.ts";

/** A cluster with engine 0 running in its own process. */
export interface SandboxCluster extends LiveCluster {
  /** Pid of the engine process. */
  enginePid: number;
  /**
   * Runs code on engine 0 and returns its value.
   *
   * @param code TypeScript or JavaScript.
   */
  run(code: string): Promise<unknown>;
  /**
   * Runs code that must fail and returns the RemoteError.
   *
   * @param code TypeScript or JavaScript.
   * @param ename Expected error name. @default "NotCapable"
   */
  refused(code: string, ename?: string): Promise<RemoteError>;
  /** Checks that engine 0 is the same process, still registered, and runs code. */
  assertAlive(): Promise<void>;
}

/**
 * Starts a controller and one engine process, and connects a client.
 *
 * @returns The cluster; dispose it to stop everything.
 */
export async function startSandboxCluster(): Promise<SandboxCluster> {
  const c = await startLiveCluster({ engines: 1 });
  const engine = c.client.engines.find((e) => e.id === 0);
  assert.ok(engine, "engine 0 registered");
  const dv = c.client.directView(0);
  const run = async (code: string) => (await dv.execute(code))[0];
  return Object.assign(c, {
    enginePid: engine.pid,
    run,
    async refused(code: string, ename = "NotCapable") {
      let value: unknown;
      try {
        value = await run(code);
      } catch (error) {
        assert.ok(error instanceof RemoteError, `expected a RemoteError, got ${error}`);
        assert.equal(error.ename, ename, `${code}\n→ ${error.ename}: ${error.evalue}`);
        assert.equal(error.engineId, 0);
        return error;
      }
      assert.fail(`expected ${code} to fail with ${ename}, it returned ${JSON.stringify(value)}`);
    },
    async assertAlive() {
      assert.equal(await run("6 * 7"), 42);
      assert.deepEqual(c.client.ids, [0]);
      assert.equal(c.client.engines.find((e) => e.id === 0)?.pid, engine.pid);
    },
  });
}
