import assert from "node:assert/strict";
import { UserError } from "../core/errors.ts";
import { compatPath, hardenAgentDirs } from "./_compat_test_util.ts";
import {
  type Bundle,
  contentHash,
  decodeBundle,
  encodeBundle,
  FIXTURE_KEY_ID,
  parseBundle,
  readBundle,
  serializeBundle,
  writeBundle,
} from "./bundle.ts";

const KEY_HEX = "11".repeat(32);

function sample(): Bundle {
  return {
    task: "Find the price of the café – 東京 😀",
    model: "m-1",
    moves: [{ tool: "http_fetch", args: { url: "https://shop.example/" } }, {
      text: '{"price": "\\u00a5650"}',
      finish: "stop",
    }],
    observations: {
      http_fetch: [{ status: 200, url: "https://shop.example/", html: "<p>¥650</p>" }],
    },
  };
}

Deno.test("readBundle and serializeBundle reproduce every compat capture byte for byte", async () => {
  const dirs = hardenAgentDirs();
  assert.ok(dirs.length > 0, "no compat harden agent found");
  for (const dir of dirs) {
    const path = `${dir}/fixtures/capture.json`;
    const text = await Deno.readTextFile(path);
    const bundle = await readBundle(path);
    assert.equal(serializeBundle(bundle), text, path);
  }
});

Deno.test("serializeBundle writes Python's indent=2 form with ASCII escapes and no final newline", () => {
  const text = serializeBundle({ task: "é", model: null, moves: [], observations: {} });
  assert.equal(
    text,
    '{\n  "task": "\\u00e9",\n  "model": null,\n  "moves": [],\n  "observations": {}\n}',
  );
});

Deno.test("an encrypted bundle round-trips under ZU_FIXTURE_KEY and starts with codec byte 2", async () => {
  const env = { ZU_FIXTURE_KEY: KEY_HEX };
  const bytes = await encodeBundle(sample(), { env });
  assert.equal(bytes[0], 2);
  assert.equal(bytes[1], "fixture".length);
  const back = await decodeBundle(bytes, "x.json", { env });
  assert.deepEqual(back, sample());
});

Deno.test("decodeBundle reads zu's capture-bundle codec vector", async () => {
  const vectors = JSON.parse(await Deno.readTextFile(compatPath("codec/vectors.json"))) as {
    codec: string;
    key_hex: string;
    key_id?: string;
    plaintext: string;
    blob_hex: string;
  }[];
  // The capture-bundle form: key id "fixture" (zu's fixed id, part of the layout).
  const v = vectors.find((x) => x.key_id === FIXTURE_KEY_ID);
  assert.ok(v);
  const bytes = Uint8Array.from(v.blob_hex.match(/../g)!.map((h) => parseInt(h, 16)));
  const b = await decodeBundle(bytes, "vector", { env: { ZU_FIXTURE_KEY: v.key_hex } });
  assert.deepEqual(b, parseBundle(v.plaintext, "plaintext"));
  assert.equal(typeof b.task, "string");
});

Deno.test("a wrong key is one UserError naming the path", async () => {
  const bytes = await encodeBundle(sample(), { env: { ZU_FIXTURE_KEY: KEY_HEX } });
  await assert.rejects(
    () =>
      decodeBundle(bytes, "agent/fixtures/capture.json", {
        env: { ZU_FIXTURE_KEY: "22".repeat(32) },
      }),
    (e: unknown) =>
      e instanceof UserError && e.code === "bundle_invalid" &&
      e.message.includes('"agent/fixtures/capture.json"') && e.message.includes("wrong key") &&
      !e.message.includes("\n"),
  );
  await assert.rejects(() => decodeBundle(bytes, "p", {}), /no key is set/);
});

Deno.test("malformed bundles are rejected with what is wrong", () => {
  const cases: [string, RegExp][] = [
    ["not json", /"p": it is not JSON/],
    ["[]", /top level must be a JSON object/],
    ['{"task": 1, "moves": []}', /"task" must be a string/],
    ['{"task": "q", "moves": {}}', /"moves" must be a list/],
    ['{"task": "q", "moves": [{"tool": "x", "frob": 1}]}', /moves\[0\] has unknown key "frob"/],
    [
      '{"task": "q", "moves": [{"text": "a", "tool_calls": []}]}',
      /moves\[0\] has unknown key "tool_calls"/,
    ],
    ['{"task": "q", "moves": [{}]}', /moves\[0\] is empty/],
    ['{"task": "q", "moves": [{"text": "a", "finish": "done"}]}', /finish must be one of/],
    [
      '{"task": "q", "moves": [], "observations": {"http_fetch": {}}}',
      /observations.http_fetch must be a list/,
    ],
    [
      '{"task": "q", "moves": [], "observations": {"http_fetch": [1]}}',
      /observations.http_fetch\[0\] must be an object/,
    ],
    ['{"task": "q", "moves": [], "zu_bundle_version": 99}', /newer than this zu reads/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseBundle(text, "p"),
      (e: unknown) => e instanceof UserError && re.test(e.message),
      text,
    );
  }
});

Deno.test("readBundle on a missing file tells the user to capture one", async () => {
  await assert.rejects(() => readBundle("/nonexistent/capture.json"), /zu capture/);
});

Deno.test("contentHash is stable, ignores the version field and changes with the content", async () => {
  const a = sample();
  const h = contentHash(a);
  assert.match(h, /^sha256:[0-9a-f]{64}$/);
  assert.equal(contentHash({ ...sample(), zu_bundle_version: 1 }), h);
  const b = sample();
  b.observations.http_fetch![0]!.html = "<p>¥651</p>";
  assert.notEqual(contentHash(b), h);
  const dir = await Deno.makeTempDir();
  try {
    await writeBundle(`${dir}/c.json`, a);
    assert.equal(contentHash(await readBundle(`${dir}/c.json`)), h);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unknown top-level keys and integral floats survive a round trip", () => {
  const text =
    '{\n  "task": "q",\n  "model": null,\n  "moves": [],\n  "observations": {\n    "x": [\n      {\n        "t": 3.0,\n        "big": 12345678901234567890\n      }\n    ]\n  },\n  "extra": true\n}';
  assert.equal(serializeBundle(parseBundle(text)), text);
});
