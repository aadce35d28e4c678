import assert from "node:assert/strict";
import { decodePayload, encodePayload, IdentityCodec, rowAad } from "../../core/codec.ts";
import { DecryptError, UserError, ZuError } from "../../core/errors.ts";
import type { PayloadCodec } from "../../core/types.ts";
import { compatJson, compatLines, hexBytes } from "../../core/_test_compat.ts";
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
  assert.ok(vectors.length > 0, "no codec vector");
  for (const c of ["aesgcm-v1", "managed-v2"]) assert.ok(vectors.some((v) => v.codec === c), c);
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
  const keys = compatJson<{
    environment_used: Record<string, string>;
    managed_keys: Record<string, string>;
  }>("sink/keys.json");
  // The key ids zu rotated through in managed.db, in seq order (from the rows, not hard-coded).
  const rotation = compatLines("sink/expected.jsonl")
    .map((l) => JSON.parse(l) as { db: string; seq: number; key_id: string | null })
    .filter((r) => r.db === "managed.db" && r.key_id !== null)
    .sort((a, b) => a.seq - b.seq)
    .map((r) => r.key_id!)
    .filter((kid, i, all) => i === 0 || all[i - 1] !== kid);
  assert.ok(rotation.length > 0, "managed.db names no key id");
  const [oldKid, newKid] = [rotation[0]!, rotation.at(-1)!];
  const env = new Map<string, string>(Object.entries(keys.environment_used));
  env.set("ZU_EVENT_KEY_ID", newKid);
  const kp = new EnvKeyProvider({ env: (n) => env.get(n) });
  assert.equal(kp.currentKeyId(), newKid);
  // Every per-id key zu read from ZU_EVENT_KEY_<id> (hex or base64) decodes to the same bytes.
  const ids = Object.keys(keys.managed_keys).filter((id) =>
    keys.environment_used[`ZU_EVENT_KEY_${id}`] !== undefined
  );
  assert.ok(ids.length > 0, "environment_used names no ZU_EVENT_KEY_<id>");
  for (const id of ids) assert.deepEqual(kp.key(id), hexBytes(keys.managed_keys[id]!), id);
  if (keys.environment_used.ZU_EVENT_KEY !== undefined) {
    assert.deepEqual(kp.key("default"), decodeKey(keys.environment_used.ZU_EVENT_KEY));
  }
  const unknown = `${rotation.join("")}-nope`;
  assert.throws(
    () => kp.key(unknown),
    (e: unknown) => e instanceof UserError && e.message.includes(`ZU_EVENT_KEY_${unknown}`),
  );
  assert.equal(new EnvKeyProvider({ env: () => undefined }).currentKeyId(), "default");
  // Rotation: rows under the old id still decrypt.
  const aad = new Uint8Array([1, 2]);
  const old = await encodePayload(
    ManagedAesGcmCodec.fromEnv({ env: (n) => n === "ZU_EVENT_KEY_ID" ? oldKid : env.get(n) }),
    "old",
    aad,
  );
  assert.equal(old[1], new TextEncoder().encode(oldKid).length);
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
