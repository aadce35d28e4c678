import assert from "node:assert/strict";
import { canonicalJson } from "./canonical_json.ts";
import {
  canonicalEventText,
  chainHead,
  digestBody,
  eventDigest,
  linkEvent,
  verifyAgainstAnchor,
  verifyChain,
} from "./chain.ts";
import { newEvent } from "./events.ts";
import { pyRepr } from "./python/repr.ts";
import { parseEventJson } from "./json.ts";
import { compatJson, compatLines, compatUrl, hexBytes } from "./_test_compat.ts";

interface ChainExpected {
  hmac_key_hex: string;
  files: Record<string, { without_key: string[]; with_key: string[] }>;
  tail: {
    file: string;
    from_index: number;
    head: string;
    with_head: string[];
    without_head: string[];
  };
  chain_head: string;
  anchor: {
    records: { trace_id: string; seq: number; head: string }[];
    results: Record<string, string[]>;
  };
}
const expected = compatJson<ChainExpected>("chain/expected.json");
const key = hexBytes(expected.hmac_key_hex);
const load = (f: string) => compatLines(`chain/${f}`).map(parseEventJson);

Deno.test("expected.json covers every chain file of the vector set", () => {
  const files = [...Deno.readDirSync(compatUrl("chain/"))]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".jsonl") && n !== "canonical.jsonl")
    .sort();
  assert.ok(files.length > 0);
  assert.deepEqual(Object.keys(expected.files).sort(), files);
});

for (const [file, want] of Object.entries(expected.files)) {
  Deno.test(`verifyChain gives zu's exact violations for ${file}`, () => {
    const events = load(file);
    assert.deepEqual(verifyChain(events), want.without_key);
    assert.deepEqual(verifyChain(events, { key }), want.with_key);
  });
}

Deno.test("verifyChain checks a tail against its known predecessor", () => {
  const tail = load(expected.tail.file).slice(expected.tail.from_index);
  assert.deepEqual(verifyChain(tail, { head: expected.tail.head }), expected.tail.with_head);
  assert.deepEqual(verifyChain(tail), expected.tail.without_head);
});

Deno.test("chainHead is the hash of the last event of the trace", () => {
  const events = load("chain.jsonl");
  assert.equal(chainHead(events), expected.chain_head);
  assert.equal(chainHead(events, events[0]!.trace_id), expected.chain_head);
  assert.equal(chainHead(events, "other"), null);
  assert.equal(chainHead([]), null);
});

for (const [file, want] of Object.entries(expected.anchor.results)) {
  Deno.test(`verifyAgainstAnchor gives zu's exact strings for ${file}`, () => {
    assert.deepEqual(verifyAgainstAnchor(load(file), expected.anchor.records), want);
  });
}

Deno.test("verifyAgainstAnchor reports an anchor seq out of range", () => {
  const events = load("chain.jsonl");
  const t = events[0]!.trace_id;
  const beyond = events.length + 1;
  assert.deepEqual(
    verifyAgainstAnchor(events, [{ trace_id: t, seq: beyond, head: "x" }, {
      trace_id: t,
      seq: null,
      head: "x",
    }]),
    [
      `anchor for trace ${t}: seq ${beyond} out of range`,
      `anchor for trace ${t}: seq None out of range`,
    ],
  );
});

Deno.test("linkEvent signs with HMAC and a chain it writes verifies with the key", () => {
  const a = linkEvent(
    newEvent({ task_id: "t", type: "harness.task.started", payload: { q: "é" } }),
    null,
    key,
  );
  const b = linkEvent(newEvent({ task_id: "t", type: "harness.turn.started" }), a.hash, key);
  assert.match(a.sig!, /^[0-9a-f]{64}$/);
  assert.equal(a.hash, eventDigest(a, null));
  assert.deepEqual(verifyChain([a, b], { key }), []);
  const unsigned = linkEvent(b, a.hash);
  assert.equal(unsigned.sig, null);
  assert.equal(unsigned.hash, b.hash);
  assert.equal(verifyChain([a, unsigned], { key }).length, 1);
  assert.ok(Object.isFrozen(a));
});

Deno.test("verifyChain reports an edited payload as content tamper", () => {
  const a = linkEvent(
    newEvent({ task_id: "t", type: "harness.task.started", payload: { n: 1 } }),
    null,
  );
  const edited = Object.freeze({ ...a, payload: { n: 2 } });
  assert.deepEqual(verifyChain([edited]), [`${a.event_id}: content tamper (hash mismatch)`]);
});

Deno.test("pyRepr matches Python's repr for strings and None", () => {
  assert.equal(pyRepr(null), "None");
  assert.equal(pyRepr("abc"), "'abc'");
  assert.equal(pyRepr("it's"), `"it's"`);
  assert.equal(pyRepr("a\nb\\"), "'a\\nb\\\\'");
});

Deno.test("eventDigest names the event when its payload is not JSON", () => {
  const e = newEvent({ task_id: "t", type: "harness.task.started", payload: { f: () => 1 } });
  assert.throws(() => eventDigest(e, null), new RegExp(`Cannot hash event "${e.event_id}"`));
});

Deno.test("canonicalEventText equals canonicalJson of the digest body", () => {
  const e = newEvent({
    task_id: "t",
    type: "harness.task.started",
    parent_id: "p",
    payload: { "é": [1, 0.5], a: null },
  });
  assert.equal(canonicalEventText(e, "h"), canonicalJson(digestBody(e, "h")));
  assert.equal(canonicalEventText(e, null), canonicalJson(digestBody(e, null)));
});
