import assert from "node:assert/strict";
import { postgresEndpoint, postgresGrants } from "./postgres_grants.ts";
import { pgTest, startPgCluster } from "../testing/pg_cluster.ts";

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

const CHILD = new URL("./testdata/pg_append_child.ts", import.meta.url).pathname;

async function childUnder(flags: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--cached-only", ...flags, CHILD, "ZU_PG_URL"],
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const td = new TextDecoder();
  return { code: out.code, text: td.decode(out.stdout) + td.decode(out.stderr) };
}

pgTest(
  "a deno run under exactly postgresGrants' flags appends over TCP and over the unix socket, and one flag less fails",
  async () => {
    await using pg = await startPgCluster();
    for (const url of [pg.url, pg.socketUrl]) {
      const { flags } = postgresGrants(url, { urlEnv: "ZU_PG_URL" });
      const ok1 = await childUnder(flags, { ZU_PG_URL: url });
      assert.equal(ok1.code, 0, ok1.text);
      assert.match(ok1.text, /^appended \d+ \((sink|raw)\)/);
      // Each grant is needed: drop the server's net grant and the child is refused by Deno.
      const noNet = flags.filter((f) => !f.startsWith("--allow-net"));
      const denied = await childUnder(noNet, { ZU_PG_URL: url });
      assert.notEqual(denied.code, 0);
      assert.match(denied.text, /NotCapable|Requires (net|read|write) access/);
    }
    // Another host:port is not granted by the flags of this one.
    const other = postgresGrants(pg.url.replace(`:${pg.port}/`, `:${pg.port + 1}/`), {
      urlEnv: "ZU_PG_URL",
    });
    const wrong = await childUnder(other.flags, { ZU_PG_URL: pg.url });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.text, /Requires net access to "127\.0\.0\.1:\d+"/);
  },
);
