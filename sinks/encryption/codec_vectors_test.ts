import assert from "node:assert/strict";
import { decodePayload, encodePayload, IdentityCodec, rowAad } from "../../core/codec.ts";
import { DecryptError, UserError, ZuError } from "../../core/errors.ts";
import type { PayloadCodec } from "../../core/types.ts";
import { compatJson, hexBytes } from "../../core/_test_compat.ts";
import {
  AesGcmCodec,
  createCodec,
  decodeKey,
  EnvKeyProvider,
  ManagedAesGcmCodec,
  StaticKeyProvider,
} from "./mod.ts";

interface Vector {
  codec: "aesgcm-v1" | "managed-v2";
  key_hex?: string;
  key_id?: string;
  keys?: Record<string, string>;
  aad_hex: string;
  plaintext?: string;
  blob_hex: string;
  why?: string;
}

function codecFor(v: Vector): PayloadCodec {
  if (v.codec === "aesgcm-v1") return new AesGcmCodec(hexBytes(v.key_hex!));
  const keys: Record<string, Uint8Array> = {};
  if (v.keys) { for (const [id, k] of Object.entries(v.keys)) keys[id] = hexBytes(k); }
  if (v.key_id !== undefined && v.key_hex !== undefined) keys[v.key_id] = hexBytes(v.key_hex);
  return new ManagedAesGcmCodec(new StaticKeyProvider(keys, Object.keys(keys)[0]!));
}

const vectors = compatJson<Vector[]>("codec/vectors.json");
const negatives = compatJson<Vector[]>("codec/negative.json");

Deno.test("every compat codec vector decrypts to its plaintext", async () => {
  assert.equal(vectors.length, 10);
  for (const v of vectors) {
    const got = await decodePayload(hexBytes(v.blob_hex), hexBytes(v.aad_hex), [codecFor(v)]);
    assert.equal(got, v.plaintext, `${v.codec} ${v.key_id ?? ""}`);
  }
});

Deno.test("every compat negative blob fails with a DecryptError", async () => {
  assert.ok(negatives.length >= 5);
  for (const v of negatives) {
    await assert.rejects(
      decodePayload(hexBytes(v.blob_hex), hexBytes(v.aad_hex), [codecFor(v)], { eventId: "e-1" }),
      (e: unknown) => e instanceof DecryptError && /event "e-1"/.test(e.message),
      v.why,
    );
  }
});

Deno.test("our codecs write zu's blob layout and read back", async () => {
  const aad = rowAad({
    event_id: "e",
    trace_id: "t",
    task_id: "t",
    type: "harness.x",
    source: "loop",
  });
  const key = hexBytes("11".repeat(32));
  const v1 = await encodePayload(new AesGcmCodec(key), "héllo", aad);
  assert.equal(v1[0], 1);
  assert.equal(v1.length, 1 + 12 + new TextEncoder().encode("héllo").length + 16);
  const managed = new ManagedAesGcmCodec(new StaticKeyProvider({ "clé": key }, "clé"));
  const v2 = await encodePayload(managed, "héllo", aad);
  const kid = new TextEncoder().encode("clé");
  assert.equal(v2[0], 2);
  assert.equal(v2[1], kid.length);
  assert.deepEqual(v2.subarray(2, 2 + kid.length), kid);
  assert.equal(v2.length, 2 + kid.length + 12 + 6 + 16);
  const v0 = await encodePayload(new IdentityCodec(), "héllo", aad);
  assert.deepEqual(v0, new Uint8Array([0, ...new TextEncoder().encode("héllo")]));
  const all = [new IdentityCodec(), new AesGcmCodec(key), managed];
  for (const blob of [v0, v1, v2]) assert.equal(await decodePayload(blob, aad, all), "héllo");
  // Two encryptions of the same text differ (fresh nonce).
  const again = await encodePayload(new AesGcmCodec(key), "héllo", aad);
  assert.notDeepEqual(again, v1);
});

Deno.test("decodePayload names the version of a blob no codec is configured for", async () => {
  await assert.rejects(
    decodePayload(new Uint8Array([7, 1, 2]), new Uint8Array(), [new IdentityCodec()], {
      eventId: "abc",
    }),
    (e: unknown) =>
      e instanceof ZuError && e.code === "codec_unknown" &&
      /event "abc".*codec version 7/.test(e.message),
  );
  await assert.rejects(
    decodePayload(new Uint8Array(), new Uint8Array(), [new IdentityCodec()]),
    DecryptError,
  );
});

Deno.test("a wrong key or a changed row fails to decrypt and names the codec", async () => {
  const aad = rowAad({
    event_id: "e",
    trace_id: "t",
    task_id: "t",
    type: "harness.x",
    source: "loop",
  });
  const blob = await encodePayload(new AesGcmCodec(hexBytes("11".repeat(32))), "x", aad);
  await assert.rejects(
    decodePayload(blob, aad, [new AesGcmCodec(hexBytes("22".repeat(32)))], { eventId: "e" }),
    /Cannot decode event "e" with codec version 1: AES-256-GCM \(v1\): authentication failed/,
  );
  const other = rowAad({
    event_id: "e",
    trace_id: "t",
    task_id: "t",
    type: "harness.y",
    source: "loop",
  });
  await assert.rejects(
    decodePayload(blob, other, [new AesGcmCodec(hexBytes("11".repeat(32)))]),
    DecryptError,
  );
  await assert.rejects(
    decodePayload(blob.subarray(0, 10), aad, [new AesGcmCodec(hexBytes("11".repeat(32)))]),
    /truncated/,
  );
});

Deno.test("EnvKeyProvider follows zu's variables, legacy key and rotation", async () => {
  const keys = compatJson<
    { environment_used: Record<string, string>; managed_keys: Record<string, string> }
  >(
    "sink/keys.json",
  );
  const env = new Map<string, string>(Object.entries(keys.environment_used));
  env.set("ZU_EVENT_KEY_ID", "2026q3");
  const kp = new EnvKeyProvider({ env: (n) => env.get(n) });
  assert.equal(kp.currentKeyId(), "2026q3");
  assert.deepEqual(kp.key("2026q3"), hexBytes(keys.managed_keys["2026q3"]!)); // base64 form
  assert.deepEqual(kp.key("2026q1"), hexBytes(keys.managed_keys["2026q1"]!)); // hex form
  assert.deepEqual(kp.key("default"), decodeKey(keys.environment_used.ZU_EVENT_KEY!));
  assert.throws(
    () => kp.key("nope"),
    (e: unknown) => e instanceof UserError && /ZU_EVENT_KEY_nope/.test(e.message),
  );
  assert.equal(new EnvKeyProvider({ env: () => undefined }).currentKeyId(), "default");
  // Rotation: rows under the old id still decrypt.
  const aad = new Uint8Array([1, 2]);
  const old = await encodePayload(
    ManagedAesGcmCodec.fromEnv({ env: (n) => n === "ZU_EVENT_KEY_ID" ? "2026q1" : env.get(n) }),
    "old",
    aad,
  );
  const codec = ManagedAesGcmCodec.fromEnv({ env: (n) => env.get(n) });
  assert.equal(await decodePayload(old, aad, [codec]), "old");
});

Deno.test("key decoding accepts hex or base64 32-byte keys and refuses others clearly", () => {
  assert.equal(decodeKey("ab".repeat(32)).length, 32);
  assert.equal(decodeKey(btoa(String.fromCharCode(...new Uint8Array(32).fill(7)))).length, 32);
  assert.throws(() => decodeKey("abcd"), /ZU_EVENT_KEY.*32-byte key, got 3 bytes/);
  assert.throws(() => decodeKey("not base64 at all!"), UserError);
  assert.throws(() => AesGcmCodec.fromEnv({ env: () => undefined }), /ZU_EVENT_KEY is not set/);
  assert.throws(() => new AesGcmCodec(new Uint8Array(16)), /32-byte key, got 16/);
  assert.equal(createCodec("aesgcm", { env: () => "cd".repeat(32) }).version, 1);
  assert.equal(
    createCodec("managed", { env: (n) => n === "ZU_EVENT_KEY" ? "cd".repeat(32) : undefined })
      .version,
    2,
  );
  assert.throws(() => createCodec("rot13"), /"rot13"/);
});

Deno.test("a managed key id longer than 255 bytes is refused on write", async () => {
  const codec = new ManagedAesGcmCodec(
    new StaticKeyProvider({ ["k".repeat(256)]: new Uint8Array(32) }, "k".repeat(256)),
  );
  await assert.rejects(codec.encodeBody("x", new Uint8Array()), /1\.\.255 UTF-8 bytes/);
});
