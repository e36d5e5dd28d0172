import assert, { rejects } from "node:assert/strict";
import {
  ConnectionError,
  IpxError,
  MessageTooLargeError,
  TimeoutError,
} from "../protocol/errors.ts";
import { PendingReplies } from "./pending_replies.ts";

Deno.test("PendingReplies: each reply settles its own question, by request id", async () => {
  const p = new PendingReplies();
  const sent: number[] = [];
  const a = p.ask((id) => sent.push(id), "a", 60_000);
  const b = p.ask((id) => sent.push(id), "b", 60_000);
  assert.equal(new Set(sent).size, 2);
  p.settle({ type: "reply", reqId: sent[1]!, ok: true, value: "for b" });
  p.settle({ type: "reply", reqId: sent[0]!, ok: true, value: "for a" });
  p.settle({ type: "reply", reqId: 999, ok: true, value: "nobody asked" }); // ignored
  assert.deepEqual(await Promise.all([a, b]), ["for a", "for b"]);
});

Deno.test("PendingReplies: a refusal is an error naming it; too large is MessageTooLargeError", async () => {
  const p = new PendingReplies();
  let id = 0;
  const big = p.ask((i) => id = i, "get_results", 60_000);
  p.settle({
    type: "reply",
    reqId: id,
    ok: false,
    error: { ename: "MessageTooLarge", evalue: "2 GiB", stack: "" },
  });
  await rejects(big, MessageTooLargeError);
  const bad = p.ask((i) => id = i, "db_query", 60_000);
  p.settle({ type: "reply", reqId: id, ok: false, error: { ename: "E", evalue: "no", stack: "" } });
  await rejects(
    bad,
    (e: unknown) => e instanceof IpxError && /refused the request: E: no/.test(e.message),
  );
});

Deno.test("PendingReplies: failAll fails every question; no reply in time is a TimeoutError", async () => {
  const p = new PendingReplies();
  const a = p.ask(() => {}, "a", 60_000);
  const b = p.ask(() => {}, "b", 60_000);
  p.failAll(new ConnectionError("link lost"));
  await rejects(a, /link lost/);
  await rejects(b, /link lost/);
  await rejects(p.ask(() => {}, "queue_status", 1), (e: unknown) => {
    assert(e instanceof TimeoutError);
    assert.match(e.message, /did not answer queue_status within 1 ms/);
    return true;
  });
});
