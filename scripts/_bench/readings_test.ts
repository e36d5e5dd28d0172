import assert from "node:assert/strict";
import { ippRss, num, perCallUs } from "./readings.ts";

Deno.test("per-call microseconds", () => {
  assert.equal(perCallUs(0.5, 1000), 500);
});

Deno.test("ipyparallel replies: numbers and mean engine memory", () => {
  const reply = {
    ok: true,
    seconds: 1.5,
    engines: [{ rss_kb: 2048, tree_kb: 4096 }, { rss_kb: 0, tree_kb: 0 }, {
      rss_kb: 4096,
      tree_kb: 8192,
    }],
  };
  assert.equal(num(reply, "seconds"), 1.5);
  assert.throws(() => num(reply, "missing"), /lacks missing/);
  assert.equal(ippRss(reply, "rss_kb"), 3); // processes not found (0) are left out
  assert.equal(ippRss(reply, "tree_kb"), 6);
  assert.throws(() => ippRss({ ok: true, engines: [] }, "rss_kb"), /no ipyparallel engine/);
});
