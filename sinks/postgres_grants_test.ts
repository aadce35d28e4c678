import assert from "node:assert/strict";
import { postgresEndpoint, postgresGrants } from "./postgres_grants.ts";

Deno.test("postgresEndpoint reads a TCP host and port, and a unix socket from ?host=/dir", () => {
  assert.deepEqual(postgresEndpoint("postgres://zu:pw@db.internal:5433/zu"), {
    kind: "tcp",
    host: "db.internal",
    port: 5433,
  });
  assert.deepEqual(postgresEndpoint("postgresql://zu@localhost/zu"), {
    kind: "tcp",
    host: "localhost",
    port: 5432,
  });
  assert.deepEqual(postgresEndpoint("postgres://zu@/zu?host=%2Ftmp%2Fpg&port=7000"), {
    kind: "unix",
    socket: "/tmp/pg/.s.PGSQL.7000",
    port: 7000,
  });
  assert.deepEqual(postgresEndpoint("postgres://zu@[::1]:6000/zu"), {
    kind: "tcp",
    host: "::1",
    port: 6000,
  });
  assert.throws(
    () => postgresEndpoint("mysql://u:secret@h/d"),
    (e: Error) => !/secret/.test(e.message),
  );
  assert.throws(() => postgresEndpoint("postgres://u:secret@h:99999/d"), TypeError);
});

Deno.test("postgresGrants names the server only, and never the password", () => {
  const tcp = postgresGrants("postgres://zu:s3cret@10.0.0.5:5432/zu", { urlEnv: "ZU_PG_URL" });
  assert.deepEqual(tcp.flags.filter((f) => f.startsWith("--allow-net")), [
    "--allow-net=10.0.0.5:5432",
  ]);
  assert.ok(tcp.flags.some((f) => f.startsWith("--allow-env=ZU_PG_URL,PGAPPNAME")));
  assert.ok(!JSON.stringify(tcp).includes("s3cret"));
  const unix = postgresGrants("postgres://zu@/zu?host=/run/pg&port=5432", {
    urlEnv: "X",
    caFile: "/etc/ca.pem",
  });
  assert.deepEqual(unix.flags.slice(0, 3), [
    "--allow-read=/run/pg/.s.PGSQL.5432",
    "--allow-write=/run/pg/.s.PGSQL.5432",
    "--allow-net=unix:/run/pg/.s.PGSQL.5432",
  ]);
  assert.equal(unix.flags.at(-1), "--allow-read=/etc/ca.pem");
});
