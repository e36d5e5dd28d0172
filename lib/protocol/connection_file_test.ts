import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ConnectionFileError,
  type ConnectionInfo,
  exposedKeyWarning,
  parseConnectionInfo,
  readConnectionFile,
  waitForConnectionFile,
  writeConnectionFile,
} from "./connection_file.ts";
import { withTempDir } from "./testing.ts";

function sampleInfo(overrides: Partial<ConnectionInfo> = {}): ConnectionInfo {
  return {
    role: "client",
    ipxVersion: "0.1.0",
    protocolVersion: 1,
    transport: "tcp",
    host: "127.0.0.1",
    port: 40123,
    addresses: ["127.0.0.1:40123", "[::1]:40123"],
    location: "node01",
    key: btoa(String.fromCharCode(...new Uint8Array(32).fill(7))),
    profile: "default",
    controllerPid: 4242,
    createdAt: "2025-01-02T03:04:05.000Z",
    ...overrides,
  };
}

/** Enough of a PEM certificate for the validator (which only checks its form). */
const CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n";

async function rejectsWith(
  promise: Promise<unknown>,
  problem: string,
  pattern: RegExp,
): Promise<ConnectionFileError> {
  const error = await promise.then(
    () => assert.fail("expected a ConnectionFileError"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConnectionFileError, `got ${error}`);
  assert.equal(error.problem, problem);
  assert.match(error.message, pattern);
  return error;
}

Deno.test("writeConnectionFile() then readConnectionFile() round-trips with mode 0600", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "ipx-client.json");
    const tls = sampleInfo({ transport: "tls", tlsCaPem: CA_PEM, role: "engine" });
    await writeConnectionFile(path, tls);
    assert.deepEqual(await readConnectionFile(path), tls);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    // Overwriting keeps the mode and leaves no temporary files behind.
    await writeConnectionFile(path, sampleInfo());
    assert.deepEqual(await readConnectionFile(path), sampleInfo());
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["ipx-client.json"]);
  });
});

Deno.test("readConnectionFile() drops unknown fields", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "c.json");
    await Deno.writeTextFile(path, JSON.stringify({ ...sampleInfo(), future: 1 }));
    assert.deepEqual(await readConnectionFile(path), sampleInfo());
  });
});

Deno.test("readConnectionFile() names a missing file and says how to start a controller", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "nope.json");
    const error = await rejectsWith(readConnectionFile(path), "missing", /ipx controller/);
    assert.equal(error.path, path);
    assert.ok(error.message.includes(path));
    assert.match(error.message, /--file/);
    assert.ok(error.cause instanceof Deno.errors.NotFound);
  });
});

Deno.test("readConnectionFile() reports an unreadable path", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    await rejectsWith(readConnectionFile(dir), "unreadable", /Cannot read connection file/);
  });
});

Deno.test("readConnectionFile() reports bad JSON", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "c.json");
    await Deno.writeTextFile(path, "{not json");
    await rejectsWith(readConnectionFile(path), "invalid-json", /not valid JSON/);
  });
});

Deno.test("parseConnectionInfo() lists every missing or invalid field", () => {
  const bad = {
    ...sampleInfo(),
    port: 70000,
    key: btoa("short"),
    addresses: ["nohost"],
    role: "admin",
  } as Record<string, unknown>;
  delete bad.createdAt;
  assert.throws(
    () => parseConnectionInfo(bad, "x.json"),
    (e: unknown) => {
      assert.ok(e instanceof ConnectionFileError);
      assert.equal(e.problem, "invalid-fields");
      for (const field of ["port", "key", "addresses", "role", "createdAt"]) {
        assert.match(e.message, new RegExp(`"${field}" must be`));
      }
      assert.doesNotMatch(e.message, /"host" must be/);
      return true;
    },
  );
  assert.throws(() => parseConnectionInfo([1], "x.json"), /expected a JSON object/);
  assert.throws(
    () => parseConnectionInfo(sampleInfo({ transport: "tls" }), "x.json"),
    /transport "tls" needs "tlsCaPem", the controller's CA certificate \(a fingerprint alone cannot be pinned\)/,
  );
});

Deno.test("parseConnectionInfo() refuses a TLS file pinning only a fingerprint, as dial would", () => {
  const pin = "ab".repeat(32);
  assert.throws(
    () =>
      parseConnectionInfo(
        sampleInfo({ transport: "tls", tlsFingerprint: pin, tlsCertFingerprint: pin }),
        "x.json",
      ),
    (e: unknown) => {
      assert.ok(e instanceof ConnectionFileError, String(e));
      assert.equal(e.problem, "invalid-fields");
      assert.match(
        e.message,
        /^Cannot use connection file x\.json: transport "tls" needs "tlsCaPem"/,
      );
      assert.match(e.message, /a fingerprint alone cannot be pinned/);
      return true;
    },
  );
});

Deno.test("parseConnectionInfo() checks the form of TLS pins and keeps them canonical", () => {
  const pin = "ab".repeat(32);
  const info = parseConnectionInfo(
    sampleInfo({
      transport: "tls",
      tlsCaPem: CA_PEM,
      tlsFingerprint: pin.toUpperCase(),
      tlsCertFingerprint: pin.match(/../g)!.join(":"),
    }),
    "x.json",
  );
  assert.equal(info.tlsFingerprint, pin);
  assert.equal(info.tlsCertFingerprint, pin);
  assert.throws(
    () =>
      parseConnectionInfo(
        sampleInfo({
          transport: "tls",
          tlsCaPem: "not a certificate",
          tlsFingerprint: "0".repeat(63),
          tlsCertFingerprint: "sha256-nope",
        }),
        "x.json",
      ),
    (e: unknown) => {
      assert.ok(e instanceof ConnectionFileError, String(e));
      assert.match(e.message, /"tlsCaPem" must be a PEM certificate/);
      assert.match(e.message, /"tlsFingerprint" must be a SHA-256 fingerprint \(64 hex digits\)/);
      assert.match(e.message, /"tlsCertFingerprint" must be a SHA-256 fingerprint/);
      return true;
    },
  );
});

Deno.test("writeConnectionFile() refuses invalid info and writes nothing", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "c.json");
    await rejectsWith(
      writeConnectionFile(path, sampleInfo({ port: 0 })),
      "invalid-fields",
      /"port"/,
    );
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  });
});

Deno.test("writeConnectionFile() reports a missing directory", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "absent", "c.json");
    await rejectsWith(writeConnectionFile(path, sampleInfo()), "write-failed", /writable/);
  });
});

Deno.test("waitForConnectionFile() returns once the file appears", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "ipx-engine.json");
    let waitingCalls = 0;
    let writing: Promise<void> | undefined;
    const info = await waitForConnectionFile(path, {
      timeoutMs: 30_000,
      intervalMs: 5,
      onWaiting: () => {
        waitingCalls++;
        // The file appears only after the waiter reported that it is waiting.
        writing = writeConnectionFile(path, sampleInfo({ role: "engine" }));
      },
    });
    await writing;
    assert.equal(info.role, "engine");
    assert.equal(waitingCalls, 1);
  });
});

Deno.test("waitForConnectionFile() returns at once for an existing file", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "c.json");
    await writeConnectionFile(path, sampleInfo());
    const info = await waitForConnectionFile(path, {
      timeoutMs: 0,
      onWaiting: () => assert.fail("should not wait"),
    });
    assert.equal(info.port, 40123);
  });
});

Deno.test("waitForConnectionFile() times out naming the wait and the remedy", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "c.json");
    const error = await rejectsWith(
      waitForConnectionFile(path, { timeoutMs: 30, intervalMs: 5 }),
      "timeout",
      /Timed out after \d+\.\d s waiting for connection file .*ipx controller/,
    );
    assert.ok(error.cause instanceof ConnectionFileError);
    assert.equal(error.cause.problem, "missing");
  });
});

Deno.test("waitForConnectionFile() says why an existing file cannot be used, not that it is missing", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "corrupt.json");
    await Deno.writeTextFile(path, "{ this is not json");
    const problems: ConnectionFileError[] = [];
    const error = await rejectsWith(
      waitForConnectionFile(path, {
        timeoutMs: 500, // a first read slower than this on a loaded machine would not wait at all
        intervalMs: 5,
        onWaiting: (p) => problems.push(p),
      }),
      "timeout",
      /Timed out after \d+\.\d s waiting for connection file \S+corrupt\.json: it exists but cannot be used \(it is not valid JSON \(.+\)\); copy a fresh one from the controller's profile security dir/,
    );
    assert.doesNotMatch(error.message, /Start the controller first/);
    assert.equal((error.cause as ConnectionFileError).problem, "invalid-json");
    assert.equal(problems.length, 1, "told once, not on every attempt");
    assert.equal(problems[0]!.problem, "invalid-json");
    assert.match(problems[0]!.detail!, /^it is not valid JSON \(/);
  });
});

Deno.test("waitForConnectionFile() tells each new problem and takes the file once it is whole", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "ipx-engine.json");
    const whole = JSON.stringify(sampleInfo({ role: "engine" }));
    const seen: string[] = [];
    // missing, then half-copied (as by scp), then valid fields missing, then complete
    const info = await waitForConnectionFile(path, {
      timeoutMs: 30_000,
      intervalMs: 5,
      onWaiting: (p) => {
        seen.push(`${p.problem}: ${p.detail?.slice(0, 20)}`);
        if (p.problem === "missing") Deno.writeTextFileSync(path, whole.slice(0, 40));
        else if (p.problem === "invalid-json") Deno.writeTextFileSync(path, `{"role":"engine"}`);
        else Deno.writeTextFileSync(path, whole);
      },
    });
    assert.equal(info.role, "engine");
    assert.deepEqual(seen, [
      "missing: undefined",
      "invalid-json: it is not valid JSON",
      `invalid-fields: "ipxVersion" must be`,
    ]);
  });
});

Deno.test("waitForConnectionFile() stops when aborted", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const controller = new AbortController();
    const reason = new Error("stop waiting");
    await assert.rejects(
      waitForConnectionFile(join(dir, "c.json"), {
        timeoutMs: 30_000,
        signal: controller.signal,
        onWaiting: () => controller.abort(reason),
      }),
      (e: unknown) => e === reason,
    );
  });
});

Deno.test("waitForConnectionFile() fails at once for an unreadable path", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    await rejectsWith(
      waitForConnectionFile(dir, {
        timeoutMs: 30_000,
        onWaiting: () => assert.fail("should not wait"),
      }),
      "unreadable",
      /Cannot read/,
    );
  });
});

Deno.test("ipcPath: kept when absolute, refused when relative or empty", async () => {
  await withTempDir("ipx_connection_file_test_", async (dir) => {
    const path = join(dir, "ipx-client.json");
    await writeConnectionFile(path, sampleInfo({ ipcPath: "/run/ipx/ipx.sock" }));
    assert.equal((await readConnectionFile(path)).ipcPath, "/run/ipx/ipx.sock");
    await writeConnectionFile(path, sampleInfo());
    assert.equal("ipcPath" in await readConnectionFile(path), false);
  });
  for (const bad of ["ipx.sock", "", 7]) {
    assert.throws(
      () => parseConnectionInfo({ ...sampleInfo(), ipcPath: bad }, "x.json"),
      (e: unknown) =>
        e instanceof ConnectionFileError && /"ipcPath" must be an absolute path/.test(e.message),
    );
  }
});

Deno.test("exposedKeyWarning() says when others can read a connection file, and what to do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ipx-exposed-" });
  try {
    const path = `${dir}/ipx-engine.json`;
    await Deno.writeTextFile(path, "{}");
    await Deno.chmod(path, 0o600);
    assert.equal(await exposedKeyWarning(path), undefined);
    for (const mode of [0o644, 0o640, 0o604]) {
      await Deno.chmod(path, mode);
      const warning = await exposedKeyWarning(path);
      assert.equal(
        warning,
        `${path} can be read by other users of this machine (mode 0${mode.toString(8)}), and it ` +
          "holds the cluster's key: anyone who reads it can run code on your engines. Make it " +
          `yours alone: chmod 600 ${path}`,
      );
    }
    assert.equal(await exposedKeyWarning(`${dir}/missing.json`), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
