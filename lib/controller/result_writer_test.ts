import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ResultFileWriter, WRITER_IN_THREAD } from "./result_writer.ts";
import { withTempDir } from "../protocol/testing.ts";

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 13 + seed) & 0xff;
  return out;
}

/** A writer-thread module with the given source, in `dir`. */
async function threadModule(dir: string, source: string): Promise<URL> {
  const path = `${dir}/thread.js`;
  await Deno.writeTextFile(path, source);
  return new URL(`file://${path}`);
}

Deno.test("ResultFileWriter writes on its thread; the caller's bytes stay usable", async () => {
  await withTempDir("ipx-writer-", async (dir) => {
    const writer = new ResultFileWriter();
    try {
      const values = [pattern(5 * 1024 * 1024 + 3, 1), pattern(10, 2), pattern(0, 3)];
      await Promise.all(values.map((v, i) => writer.write(`${dir}/${i}.bin`, v)));
      for (const [i, v] of values.entries()) {
        assert.deepEqual(await Deno.readFile(`${dir}/${i}.bin`), v);
        assert.equal((await Deno.stat(`${dir}/${i}.bin`)).mode! & 0o777, 0o600);
      }
      assert.equal(values[0]!.length, 5 * 1024 * 1024 + 3, "not moved away from the caller");
      assert.equal(values[0]![7], (7 * 13 + 1) & 0xff);
      assert.ok(writer.mode === "direct" || writer.mode === "buffered", writer.mode);
    } finally {
      await writer.close();
    }
  });
});

Deno.test("ResultFileWriter writes on the calling thread when its thread cannot start", async () => {
  await withTempDir("ipx-writer-", async (dir) => {
    const reports: string[] = [];
    const writer = new ResultFileWriter({
      workerUrl: await threadModule(dir, 'throw new Error("no thread today");\n'),
      report: (m) => reports.push(m),
    });
    try {
      await writer.write(`${dir}/a.bin`, pattern(1000, 4));
      await writer.write(`${dir}/b.bin`, pattern(2000, 5));
      assert.deepEqual(await Deno.readFile(`${dir}/a.bin`), pattern(1000, 4));
      assert.deepEqual(await Deno.readFile(`${dir}/b.bin`), pattern(2000, 5));
      assert.equal(writer.mode, "in-thread");
      assert.equal(reports.length, 1);
      assert.match(reports[0]!, /writer thread failed .*no thread today/);
    } finally {
      await writer.close();
    }
  });
});

Deno.test("ResultFileWriter redoes the writes a dying thread left pending", async () => {
  await withTempDir("ipx-writer-", async (dir) => {
    const writer = new ResultFileWriter({
      // takes the requests and dies without answering
      workerUrl: await threadModule(
        dir,
        'import { parentPort } from "node:worker_threads";\n' +
          'parentPort.on("message", () => { throw new Error("thread crashed"); });\n',
      ),
      report: (m) => reports.push(m),
    });
    const reports: string[] = [];
    try {
      const values = [pattern(3000, 6), pattern(4000, 7)];
      await Promise.all(values.map((v, i) => writer.write(`${dir}/${i}.bin`, v)));
      for (const [i, v] of values.entries()) {
        assert.deepEqual(await Deno.readFile(`${dir}/${i}.bin`), v);
      }
      assert.equal(writer.mode, "in-thread");
      assert.equal(reports.length, 1);
      assert.match(reports[0]!, /thread crashed/);
    } finally {
      await writer.close();
    }
  });
});

Deno.test("ResultFileWriter's idle thread does not keep a process alive", async () => {
  await withTempDir("ipx-writer-", async (dir) => {
    const module = fileURLToPath(new URL("./result_writer.ts", import.meta.url));
    const script = `import { ResultFileWriter } from ${JSON.stringify(module)};
const w = new ResultFileWriter();
await w.write(${JSON.stringify(`${dir}/x.bin`)}, new Uint8Array(4096).fill(1));
console.log("written", w.mode);
`;
    await Deno.writeTextFile(`${dir}/main.ts`, script);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${dir}/main.ts`],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const out = await child.output();
    clearTimeout(timer);
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, `exit ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
    assert.match(text, /^written (direct|buffered)$/m);
    assert.equal((await Deno.readFile(`${dir}/x.bin`)).length, 4096);
  });
});

Deno.test("ResultFileWriter copies a value only when the thread is ready for it, into reused buffers", async () => {
  await withTempDir("ipx-writer-", async (dir) => {
    const writer = new ResultFileWriter({ poolIdleMs: 0 });
    try {
      const values = Array.from({ length: 6 }, (_, i) => pattern(2 * 1024 * 1024 + i, i));
      const writes = values.map((v, i) => writer.write(`${dir}/${i}.bin`, v));
      assert.equal(writer.queued, values.length - WRITER_IN_THREAD, "the rest wait, uncopied");
      await Promise.all(writes);
      assert.equal(writer.queued, 0);
      for (const [i, v] of values.entries()) {
        assert.deepEqual(await Deno.readFile(`${dir}/${i}.bin`), v);
      }
      // the buffers came back; with no idle time they are dropped once the writer is idle
      const deadline = Date.now() + 10_000;
      while (writer.pooled > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(writer.pooled, 0);
    } finally {
      await writer.close();
    }
  });
});

Deno.test("ResultFileWriter keeps the thread's buffers for the next writes", async () => {
  await withTempDir("ipx-writer-", async (dir) => {
    const writer = new ResultFileWriter();
    try {
      await writer.write(`${dir}/a.bin`, pattern(3 * 1024 * 1024, 1));
      assert.equal(writer.pooled, 3 * 1024 * 1024, "the buffer came back");
      await writer.write(`${dir}/b.bin`, pattern(3 * 1024 * 1024 - 10, 2));
      assert.equal(writer.pooled, 3 * 1024 * 1024, "and was used again, not a second one");
      assert.deepEqual(await Deno.readFile(`${dir}/b.bin`), pattern(3 * 1024 * 1024 - 10, 2));
    } finally {
      await writer.close();
    }
    assert.equal(writer.pooled, 0, "closing drops the buffers");
  });
});

Deno.test("ResultFileWriter.cancel drops a waiting write, not one its thread has", async () => {
  await withTempDir("ipx-writer-", async (dir) => {
    const writer = new ResultFileWriter();
    try {
      const n = WRITER_IN_THREAD + 2;
      const writes = Array.from(
        { length: n },
        (_, i) => writer.write(`${dir}/${i}.bin`, pattern(1024 * 1024, i)),
      );
      assert.equal(writer.cancel(`${dir}/0.bin`), false, "the thread has it");
      assert.equal(writer.cancel(`${dir}/${n - 1}.bin`), true);
      assert.equal(writer.cancel(`${dir}/${n - 1}.bin`), false, "already dropped");
      assert.equal(writer.cancel(`${dir}/nothing.bin`), false);
      await Promise.all(writes);
      for (let i = 0; i < n - 1; i++) {
        assert.deepEqual(await Deno.readFile(`${dir}/${i}.bin`), pattern(1024 * 1024, i));
      }
      await assert.rejects(Deno.stat(`${dir}/${n - 1}.bin`), Deno.errors.NotFound);
    } finally {
      await writer.close();
    }
  });
});
