import assert from "node:assert/strict";
import { postgresUrlEnv, sinkHostGrants } from "./sink_grants.ts";

const PG = { driver: "postgres", path: null, encryption: "none", options: {} };

Deno.test("sinkHostGrants gives a PostgreSQL log its server only, and a file log its file", () => {
  const env = (k: string) =>
    ({ TEAM_PG: "postgres://zu:s3cret@db.example:6432/zu", ZU_PG_URL: "postgres://other:1/x" })[k];
  const g = sinkHostGrants({ ...PG, options: { url_env: "TEAM_PG", ca_file: "ca.pem" } }, {
    dir: "/agent",
    env,
  });
  assert.deepEqual(g.flags.filter((f) => f.startsWith("--allow-net")), [
    "--allow-net=db.example:6432",
  ]);
  assert.ok(g.flags.includes("--allow-read=/agent/ca.pem"));
  assert.equal(g.url, "postgres://zu:***@db.example:6432/zu");
  assert.ok(!JSON.stringify(g).includes("s3cret"));
  const unset = sinkHostGrants(PG, { dir: "/agent", env: () => undefined });
  assert.deepEqual(unset.flags, []);
  assert.match(unset.missing ?? "", /\$ZU_PG_URL is not set/);
  const file = sinkHostGrants(
    { driver: "sqlite", path: "logs/e.db", encryption: "none", options: {} },
    { dir: "/agent", env },
  );
  assert.deepEqual(file.flags, ["--allow-read=/agent/logs/e.db", "--allow-write=/agent/logs/e.db"]);
  assert.equal(postgresUrlEnv(PG), "ZU_PG_URL");
});

Deno.test("sinkHostGrants adds the signing and encryption key variables the block reads", () => {
  const env = (k: string) => ({ ZU_PG_URL: "postgres://zu@db/zu", ZU_EVENT_KEY_ID: "2026q3" })[k];
  const g = sinkHostGrants(
    { ...PG, encryption: "managed", options: { sign_key_env: "ZU_SIGN" } },
    { dir: "/a", env },
  );
  assert.equal(
    g.flags.at(-1),
    "--allow-env=ZU_SIGN,ZU_EVENT_KEY,ZU_EVENT_KEY_ID,ZU_EVENT_KEY_2026q3",
  );
  const plain = sinkHostGrants({ ...PG, driver: "memory" }, { dir: "/a", env });
  assert.deepEqual(plain.flags, []);
});
