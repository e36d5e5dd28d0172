import assert from "node:assert/strict";
import { complete, type CompletionSources } from "./completer.ts";

const calls: string[] = [];
const SOURCES: CompletionSources = {
  localNames: () => Promise.resolve(["rc", "dv", "lv", "alpha", "albert"]),
  localProperties: (expression) => {
    calls.push(expression);
    return Promise.resolve(expression === "rc" ? ["engines", "ids", "execute"] : []);
  },
  engineNames: () => Promise.resolve(["remoteA", "remoteB", "alphaRemote"]),
  engineIds: () => [0, 1, 2],
};

Deno.test("complete() offers magic names", async () => {
  assert.deepEqual(await complete("%px", false, SOURCES), [
    ["%px", "%pxconfig", "%pxresult"],
    "%px",
  ]);
  assert.deepEqual(await complete("%%", false, SOURCES), [["%%px"], "%%"]);
  assert.deepEqual(await complete("%e", false, SOURCES), [["%engines", "%exit"], "%e"]);
});

Deno.test("complete() offers a magic's options and their values", async () => {
  assert.deepEqual(await complete("%%px --no", false, SOURCES), [
    ["--noblock", "--no-stream"].sort(),
    "--no",
  ]);
  assert.deepEqual((await complete("%pxconfig ", false, SOURCES))[0].length, 6);
  assert.deepEqual(await complete("%%px --group-outputs o", false, SOURCES), [["order"], "o"]);
  assert.deepEqual(await complete("%pxconfig -t ", false, SOURCES), [["0", "1", "2", "all"], ""]);
  assert.deepEqual(await complete("%pxresult --", false, SOURCES), [["--group-outputs"], "--"]);
  assert.deepEqual(await complete("%engines x", false, SOURCES), [[], "x"]);
});

Deno.test("complete() uses engine names in %px lines and engine code", async () => {
  assert.deepEqual(await complete("%px remote", false, SOURCES), [
    ["remoteA", "remoteB"],
    "remote",
  ]);
  assert.deepEqual(await complete("%px -t 0 remote", false, SOURCES), [
    ["remoteA", "remoteB"],
    "remote",
  ]);
  assert.deepEqual(await complete("%px --tar", false, SOURCES), [["--targets"], "--tar"]);
  assert.deepEqual(await complete("%px -t ", false, SOURCES), [["0", "1", "2", "all"], ""]);
  assert.deepEqual(await complete("%px --noblock --st", false, SOURCES), [["--stream"], "--st"]);
  assert.deepEqual(await complete("%px x --st", false, SOURCES), [[], "st"]);
  assert.deepEqual(await complete("x + al", true, SOURCES), [["alphaRemote"], "al"]);
  assert.deepEqual(await complete("rc.e", true, SOURCES), [[], "rc.e"]);
});

Deno.test("complete() uses local names and properties otherwise", async () => {
  assert.deepEqual(await complete("const y = al", false, SOURCES), [["albert", "alpha"], "al"]);
  assert.deepEqual(await complete("rc.e", false, SOURCES), [["rc.engines", "rc.execute"], "rc.e"]);
  calls.length = 0;
  assert.deepEqual(await complete("f().x", false, SOURCES), [[], ".x"]);
  assert.deepEqual(await complete("1.5.x", false, SOURCES), [[], "1.5.x"]);
  assert.deepEqual(calls, []);
});
