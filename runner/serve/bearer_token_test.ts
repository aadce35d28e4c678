import { equal, match, ok, rejects } from "node:assert/strict";
import { bearerMatches, generateToken, serveToken } from "./bearer_token.ts";

Deno.test("bearerMatches accepts exactly the token and refuses near misses", () => {
  const token = generateToken();
  ok(bearerMatches(`Bearer ${token}`, token));
  ok(bearerMatches(`bearer ${token}`, token), "the scheme is case-insensitive");
  for (
    const h of [
      null,
      "",
      "Bearer",
      `Bearer ${token}x`,
      `Bearer ${token.slice(1)}`,
      token,
      `Basic ${token}`,
    ]
  ) {
    ok(!bearerMatches(h, token), String(h));
  }
  ok(!bearerMatches("Bearer ", ""), "an empty configured token matches nothing");
});

Deno.test("the token comparison is node:crypto timingSafeEqual over digests, never ===", async () => {
  const source = await Deno.readTextFile(new URL("./bearer_token.ts", import.meta.url));
  match(source, /import \{[^}]*timingSafeEqual[^}]*\} from "node:crypto"/);
  const body = source.slice(source.indexOf("export function bearerMatches"));
  const fn = body.slice(0, body.indexOf("\n}\n"));
  match(fn, /timingSafeEqual\(digest\(given\), digest\(token\)\)/);
  ok(!/given === token|token === given/.test(fn));
});

Deno.test("serveToken prefers ZU_SERVE_TOKEN, else writes a fresh token to a 0600 file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_token_" });
  try {
    const env = await serveToken("an-operator-token-123", `${dir}/t`);
    equal(env.source, "env");
    await rejects(Deno.stat(`${dir}/t`), Deno.errors.NotFound, "no file for an env token");
    await rejects(serveToken("short", `${dir}/t`), RangeError);
    const made = await serveToken(undefined, `${dir}/sub/serve.token`);
    equal(made.source, "file");
    equal(await Deno.readTextFile(`${dir}/sub/serve.token`), `${made.token}\n`);
    equal((await Deno.stat(`${dir}/sub/serve.token`)).mode! & 0o777, 0o600);
    ok(made.token.length >= 43);
    const again = await serveToken("", `${dir}/sub/serve.token`);
    ok(again.token !== made.token, "a new token each start");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
