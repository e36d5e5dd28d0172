import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeValue } from "../protocol/codec.ts";
import type { ExecutorOptions, RunOutcome } from "./executor.ts";
import {
  explainDenial,
  isInside,
  resolvePolicy,
  SandboxConfigError,
  type SandboxPolicy,
  SymlinkScanner,
  symlinkViolation,
  workerPermissions,
} from "./sandbox.ts";
import { type Fixture, withDataDirs, withExecutor } from "./executor_testing.ts";

function withDirs(fn: (data: string, outside: string) => Promise<void>): Promise<void> {
  return withDataDirs("ipx_sandbox_", fn);
}

const POLICY: SandboxPolicy = {
  dataDir: "/data/dir",
  read: ["/data/dir"],
  write: ["/data/dir"],
  net: false,
  env: ["LANG"],
};

Deno.test("resolvePolicy() refuses relative and missing data dirs", async () => {
  await assert.rejects(resolvePolicy({ dataDir: "relative/dir" }), SandboxConfigError);
  await assert.rejects(
    resolvePolicy({ dataDir: "/nonexistent/ipx/data" }),
    (error: unknown) =>
      error instanceof SandboxConfigError && /create the directory/.test(error.message),
  );
  await withDirs(async (data) => {
    await assert.rejects(resolvePolicy({ dataDir: data, allowRead: ["rel"] }), SandboxConfigError);
  });
});

Deno.test("resolvePolicy() resolves symlinked paths and puts the data dir first", async () => {
  await withDirs(async (data, outside) => {
    const alias = join(outside, "alias");
    await Deno.symlink(data, alias);
    const policy = await resolvePolicy({ dataDir: alias, allowRead: [outside] });
    assert.equal(policy.dataDir, data);
    assert.deepEqual(policy.read, [data, outside]);
    assert.deepEqual(policy.write, [data]);
    assert.equal(policy.net, false);
    assert.equal(policy.env, false);
  });
});

Deno.test("workerPermissions() grants only the policy, sys inspector and nothing to run", () => {
  assert.deepEqual(workerPermissions(POLICY), {
    read: ["/data/dir"],
    write: ["/data/dir"],
    net: false,
    env: ["LANG"],
    run: false,
    ffi: false,
    sys: ["inspector"],
    import: false,
  });
});

Deno.test("isInside() compares whole path components", () => {
  assert.ok(isInside("/data/dir", "/data/dir"));
  assert.ok(isInside("/data/dir/a/b", "/data/dir"));
  assert.ok(!isInside("/data/dir2", "/data/dir"));
  assert.ok(!isInside("/data", "/data/dir"));
});

Deno.test("SymlinkScanner.scan() reports links that lead outside and accepts inner ones", async () => {
  await withDirs(async (data, outside) => {
    await Deno.mkdir(join(data, "sub"));
    await Deno.writeTextFile(join(data, "sub", "inner.txt"), "ok");
    await Deno.symlink(join(data, "sub", "inner.txt"), join(data, "inner_link"));
    await Deno.symlink("../sub", join(data, "sub", "loop_ok"));
    const scanner = new SymlinkScanner(await resolvePolicy({ dataDir: data }));
    assert.deepEqual(scanner.scan(), []);

    await Deno.symlink(join(outside, "secret.txt"), join(data, "sub", "escape"));
    await Deno.symlink(join(outside, "not-yet"), join(data, "dangling"));
    const found = scanner.scan().map((e) => [e.link, e.target]).sort();
    assert.deepEqual(found, [
      [join(data, "dangling"), join(outside, "not-yet")],
      [join(data, "sub", "escape"), join(outside, "secret.txt")],
    ]);

    await Deno.remove(join(data, "sub", "escape"));
    await Deno.remove(join(data, "dangling"));
    assert.deepEqual(scanner.scan(), []);
  });
});

Deno.test("SymlinkScanner.scan() refuses a chain that passes through an outside link", async () => {
  await withDirs(async (data, outside) => {
    await Deno.writeTextFile(join(data, "target.txt"), "inside");
    await Deno.symlink(join(data, "target.txt"), join(outside, "hop"));
    await Deno.symlink(join(outside, "hop"), join(data, "chain"));
    const escapes = new SymlinkScanner(await resolvePolicy({ dataDir: data })).scan();
    assert.deepEqual(escapes, [{ link: join(data, "chain"), target: join(outside, "hop") }]);
  });
});

Deno.test("SymlinkScanner.scan() sees a planted link even when the dir mtime is set back", async () => {
  await withDirs(async (data, outside) => {
    const old = new Date(Date.now() - 3_600_000);
    await Deno.mkdir(join(data, "deep"));
    await Deno.utime(join(data, "deep"), old, old);
    const scanner = new SymlinkScanner(await resolvePolicy({ dataDir: data }));
    assert.deepEqual(scanner.scan(), []);
    await Deno.symlink(join(outside, "secret.txt"), join(data, "deep", "planted"));
    await Deno.utime(join(data, "deep"), old, old); // what `tar` does after extracting
    assert.deepEqual(scanner.scan().map((e) => e.link), [join(data, "deep", "planted")]);
  });
});

Deno.test("SymlinkScanner.scan() accepts links into an extra path granted read and write", async () => {
  await withDirs(async (data, outside) => {
    await Deno.symlink(join(outside, "secret.txt"), join(data, "shared"));
    const readOnly = await resolvePolicy({ dataDir: data, allowRead: [outside] });
    assert.equal(new SymlinkScanner(readOnly).scan().length, 1, "write through it would escape");
    const both = await resolvePolicy({
      dataDir: data,
      allowRead: [outside],
      allowWrite: [outside],
    });
    assert.deepEqual(new SymlinkScanner(both).scan(), []);
  });
});

Deno.test("symlinkViolation() names the links and says what to do", () => {
  const escapes = Array.from(
    { length: 7 },
    (_, i) => ({ link: `/data/dir/l${i}`, target: "/etc" }),
  );
  const error = symlinkViolation(escapes, POLICY);
  assert.equal(error.ename, "SandboxViolation");
  assert.match(error.evalue, /"\/data\/dir\/l0" -> "\/etc"/);
  assert.match(error.evalue, /and 2 more/);
  assert.match(error.evalue, /removed or replaced by copies/);
});

function denial(message: string, ename = "NotCapable") {
  return explainDenial({ ename, evalue: message, stack: "s" }, POLICY, 4);
}

Deno.test("explainDenial() names the permission, the resource and the flag", () => {
  const read = denial('Requires read access to "../x", run again with the --allow-read flag');
  assert.equal(read.ename, "NotCapable");
  assert.equal(
    read.evalue,
    'read access to "../x" denied by the sandbox of engine 4 (resolves to /data/x) ' +
      "(allowed: /data/dir); start the engine with --allow-read=PATH to permit it",
  );
  assert.equal(read.stack, "s");
  const env = denial('Requires env access to "HOME", run again with the --allow-env flag');
  assert.match(env.evalue, /^env access to "HOME" denied .*\(allowed: LANG\); .*--allow-env=NAME/);
  const anyEnv = denial("Requires env access, run again with the --allow-env flag");
  assert.match(anyEnv.evalue, /^env access denied by the sandbox of engine 4/);
  const net = denial('Requires net access to "1.2.3.4:80", run again with the --allow-net flag');
  assert.match(net.evalue, /\(allowed: none\); start the engine with --allow-net=HOST\[:PORT\]/);
  const run = denial('Requires run access to "sh", run again with the --allow-run flag');
  assert.match(run.evalue, /^run access to "sh" denied .*never start one/);
  const ffi = denial('Requires ffi access to "libc.so.6", run again with the --allow-ffi flag');
  assert.match(ffi.evalue, /native code bypasses every permission/);
  const imp = denial(
    'Requires import access to "esm.sh:443", run again with the --allow-import flag',
    "TypeError",
  );
  assert.equal(imp.ename, "NotCapable");
  assert.match(imp.evalue, /cannot be imported from the network/);
});

Deno.test("explainDenial() explains escalation and symlink creation, and passes others", () => {
  assert.match(denial("Can't escalate parent thread permissions").evalue, /cannot have more/);
  assert.match(
    denial("Deno.symlinkSync() requires unscoped --allow-read and --allow-write permissions")
      .evalue,
    /creating symlinks is denied/,
  );
  const plain = { ename: "TypeError", evalue: "x is not a function", stack: "" };
  assert.deepEqual(explainDenial(plain, POLICY), plain);
});

// ---- The sandbox as user code meets it, through an Executor (reliability plan, group D) ----

interface Engine extends Fixture {
  run(code: string): Promise<RunOutcome>;
}

function withEngine(
  fn: (e: Engine) => Promise<void>,
  options: Partial<ExecutorOptions> = {},
): Promise<void> {
  return withExecutor(
    (f) => fn({ ...f, run: (code) => f.ex.run({ kind: "execute", code }) }),
    { engineId: 2, ...options },
  );
}

function ok(outcome: RunOutcome): unknown {
  if (!outcome.ok) assert.fail(`expected success, got ${JSON.stringify(outcome.error)}`);
  return decodeValue(outcome.value);
}

/** Asserts a NotCapable failure whose message names `what`, then that the engine still works. */
async function denied(engine: Engine, code: string, what: RegExp): Promise<string> {
  const outcome = await engine.run(code);
  if (outcome.ok) assert.fail(`${code} was allowed: ${Deno.inspect(decodeValue(outcome.value))}`);
  assert.equal(outcome.error.ename, "NotCapable", `${code}: ${outcome.error.evalue}`);
  assert.match(outcome.error.evalue, what, code);
  assert.match(outcome.error.evalue, /engine 2/);
  assert.equal(ok(await engine.run("'still working'")), "still working");
  return outcome.error.evalue;
}

Deno.test("the sandbox denies reads and writes outside the data dir, with a helpful message", async () => {
  await withEngine(async (e) => {
    const evalue = await denied(
      e,
      "await Deno.readTextFile('/etc/passwd')",
      /read access to "\/etc\/passwd"/,
    );
    assert.ok(evalue.includes(`(allowed: ${e.data})`), evalue);
    assert.match(evalue, /start the engine with --allow-read=PATH to permit it$/);
    await denied(e, "(await import('node:fs')).readFileSync('/etc/passwd', 'utf8')", /read access/);
    await denied(
      e,
      `Deno.readTextFileSync(${JSON.stringify(join(e.outside, "secret.txt"))})`,
      /read/,
    );
    await denied(e, "Deno.readTextFileSync('../outside/secret.txt')", /resolves to .*outside/);
    await denied(
      e,
      "Deno.writeTextFileSync('../escape.txt', 'x')",
      /write access to "..\/escape.txt"/,
    );
    await denied(e, "Deno.readTextFileSync('/proc/self/environ')", /read access/);
    await assert.rejects(Deno.stat(join(e.data, "..", "escape.txt")), Deno.errors.NotFound);
  });
});

Deno.test("the sandbox denies env, subprocesses, FFI, network and symlink creation", async () => {
  await withEngine(async (e) => {
    await denied(e, "Deno.env.get('HOME')", /env access to "HOME"/);
    await denied(e, "Deno.env.toObject()", /env access/);
    await denied(e, "new Deno.Command('id').outputSync()", /run access to "id".*never start one/);
    await denied(e, "(await import('node:child_process')).execSync('id')", /access/);
    await denied(e, "Deno.dlopen('libc.so.6', {})", /ffi access/);
    await denied(e, "await fetch('http://127.0.0.1:8080/')", /net access to "127\.0\.0\.1:8080"/);
    await denied(e, "await Deno.connect({ hostname: '127.0.0.1', port: 8080 })", /net access/);
    await denied(e, "Deno.listen({ port: 0 })", /net access/);
    await denied(e, "Deno.symlinkSync('/etc', 'etc_link')", /creating symlinks is denied/);
  });
});

Deno.test("the sandbox denies imports from the network and from outside the data dir", async () => {
  await withEngine(async (e) => {
    await denied(e, "await import('https://esm.sh/lodash')", /import access to "esm\.sh:443"/);
    await denied(e, "await import('file:///etc/passwd')", /read access to "\/etc\/passwd"/);
    await Deno.writeTextFile(join(e.data, "mod.js"), "export const answer = 42;");
    const local = await e.run(
      `(await import(${JSON.stringify(`file://${e.data}/mod.js`)})).answer`,
    );
    assert.equal(ok(local), 42);
    const dataUrl = await e.run("(await import('data:text/javascript,export default 7')).default");
    assert.equal(ok(dataUrl), 7, "data: URLs are code the user could eval anyway");
  });
});

Deno.test("a Worker started by user code cannot gain permissions", async () => {
  await withEngine(async (e) => {
    await denied(
      e,
      "new Worker('data:text/javascript,1', { type: 'module', deno: { permissions: { read: true } } })",
      /cannot have more permissions/,
    );
    const inherit = await e.run(`await new Promise((resolve) => {
      const code = "try { postMessage('READ: ' + Deno.readTextFileSync('/etc/passwd')) } " +
        "catch (e) { postMessage('denied: ' + e) }";
      const w = new Worker("data:text/javascript," + encodeURIComponent(code),
        { type: "module", deno: { permissions: "inherit" } });
      w.onmessage = (m) => { w.terminate(); resolve(m.data); };
    })`);
    assert.match(
      String(ok(inherit)),
      /^denied: NotCapable: Requires read access to "\/etc\/passwd"/,
    );
  });
});

Deno.test("a symlink planted in the data dir is refused and its target never returned", async () => {
  await withEngine(async (e) => {
    assert.equal(ok(await e.run("1")), 1);
    await Deno.symlink(join(e.outside, "secret.txt"), join(e.data, "innocent.txt"));
    const outcome = await e.run("Deno.readTextFileSync('innocent.txt')");
    assert.ok(!outcome.ok, "the read must not run");
    assert.equal(outcome.error.ename, "SandboxViolation");
    assert.ok(outcome.error.evalue.includes(join(e.data, "innocent.txt")), outcome.error.evalue);
    assert.ok(!outcome.error.evalue.includes("TOP-SECRET"));
    const pulled = await e.ex.run({ kind: "pull", names: ["Deno"] });
    assert.equal(pulled.ok, false, "no op runs while the link exists");
    await Deno.remove(join(e.data, "innocent.txt"));
    assert.equal(ok(await e.run("2")), 2);
  });
});

Deno.test("the sandbox grants exactly the extra paths and variables it is given", async () => {
  const variable = "IPX_SANDBOX_TEST_VAR";
  Deno.env.set(variable, "visible");
  try {
    await withDirs(async (_data, extra) => {
      await withEngine(async (e) => {
        const secret = JSON.stringify(join(extra, "secret.txt"));
        assert.equal(ok(await e.run(`Deno.readTextFileSync(${secret})`)), "TOP-SECRET");
        await denied(e, `Deno.writeTextFileSync(${secret}, 'x')`, /write access/);
        assert.equal(ok(await e.run(`Deno.env.get(${JSON.stringify(variable)})`)), "visible");
        await denied(e, "Deno.env.get('HOME')", /\(allowed: IPX_SANDBOX_TEST_VAR\)/);
      }, { allowRead: [extra], allowEnv: [variable] });
    });
  } finally {
    Deno.env.delete(variable);
  }
});

Deno.test("SymlinkScanner counts the entries of the directories it walked", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "ipx_entries_" }));
  try {
    for (let i = 0; i < 5; i++) await Deno.writeTextFile(`${dir}/f${i}`, "x");
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/sub/g`, "x");
    const scanner = new SymlinkScanner(await resolvePolicy({ dataDir: dir }));
    assert.deepEqual(scanner.scan(), []);
    assert.equal(scanner.directories, 2);
    assert.equal(scanner.entries, 7); // 5 files and sub, then g
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
