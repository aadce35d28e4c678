import assert from "node:assert/strict";
import {
  describeEndpoint,
  type DockerEndpoint,
  endpointGrants,
  endpointIsLocal,
  endpointPermissionFlags,
  isLoopbackHost,
  parseDockerEndpoint,
} from "./docker_endpoint.ts";
import { daemonError, tlsFailureOf } from "./daemon_error.ts";
import { requireLocalEngine } from "./local_engine.ts";
import { UserError } from "../../core/errors.ts";

const parse = (env: Record<string, string>) => parseDockerEndpoint((n) => env[n]);

function refused(env: Record<string, string>, variable: string, why: RegExp): void {
  assert.throws(() => parse(env), (e: unknown) => {
    assert.ok(e instanceof UserError);
    assert.equal(e.code, "docker_endpoint");
    assert.ok(e.message.startsWith(`Invalid ${variable}=`), e.message);
    assert.match(e.message, why);
    assert.equal(e.message.split("\n").length, 1);
    return true;
  });
}

Deno.test("DOCKER_HOST: unset, unix, tcp with and without TLS, ssh", () => {
  assert.deepEqual(parse({}), { kind: "unix", socketPath: "/var/run/docker.sock" });
  assert.deepEqual(parse({ DOCKER_HOST: " " }), {
    kind: "unix",
    socketPath: "/var/run/docker.sock",
  });
  assert.deepEqual(parse({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" }), {
    kind: "unix",
    socketPath: "/run/user/1000/docker.sock",
  });
  assert.deepEqual(parse({ DOCKER_HOST: "tcp://127.0.0.1:2375" }), {
    kind: "tcp",
    host: "127.0.0.1",
    port: 2375,
    tls: null,
  });
  assert.deepEqual(parse({ DOCKER_HOST: "tcp://localhost" }), {
    kind: "tcp",
    host: "localhost",
    port: 2375,
    tls: null,
  });
  const tls = parse({
    DOCKER_HOST: "tcp://docker.example:2376",
    DOCKER_TLS_VERIFY: "1",
    DOCKER_CERT_PATH: "/etc/zu/certs/",
  });
  assert.deepEqual(tls, {
    kind: "tcp",
    host: "docker.example",
    port: 2376,
    tls: {
      caPath: "/etc/zu/certs/ca.pem",
      certPath: "/etc/zu/certs/cert.pem",
      keyPath: "/etc/zu/certs/key.pem",
    },
  });
  const home = parse({ DOCKER_HOST: "tcp://[::1]", DOCKER_TLS_VERIFY: "true", HOME: "/home/a" });
  assert.ok(home.kind === "tcp" && home.port === 2376 && home.host === "::1");
  assert.equal(home.tls?.caPath, "/home/a/.docker/ca.pem");
  assert.deepEqual(parse({ DOCKER_HOST: "ssh://deploy@build.example:2222" }), {
    kind: "ssh",
    user: "deploy",
    host: "build.example",
    port: 2222,
    configFile: null,
  });
  assert.deepEqual(parse({ DOCKER_HOST: "ssh://build.example" }), {
    kind: "ssh",
    user: null,
    host: "build.example",
    port: 22,
    configFile: null,
  });
  // A context alongside DOCKER_HOST: DOCKER_HOST wins (as in the docker CLI).
  assert.equal(parse({ DOCKER_HOST: "unix:///x.sock", DOCKER_CONTEXT: "prod" }).kind, "unix");
  assert.equal(parse({ DOCKER_CONTEXT: "default" }).kind, "unix");
});

Deno.test("bad endpoint values are one line naming the variable and the fix", () => {
  refused({ DOCKER_HOST: "npipe:////./pipe/docker_engine" }, "DOCKER_HOST", /named pipes/);
  refused({ DOCKER_HOST: "fd://" }, "DOCKER_HOST", /unsupported scheme/);
  refused({ DOCKER_HOST: "/var/run/docker.sock" }, "DOCKER_HOST", /unsupported scheme/);
  refused({ DOCKER_HOST: "unix://docker.sock" }, "DOCKER_HOST", /absolute path/);
  refused({ DOCKER_HOST: "tcp://10.0.0.5:99999" }, "DOCKER_HOST", /not a URL|port/);
  refused({ DOCKER_HOST: "tcp://10.0.0.5:2376/v1.41" }, "DOCKER_HOST", /no path/);
  refused({ DOCKER_HOST: "tcp://u@10.0.0.5:2376" }, "DOCKER_HOST", /no user/);
  refused({ DOCKER_HOST: "tcp://:2376" }, "DOCKER_HOST", /not a URL|no host/);
  refused({ DOCKER_HOST: "ssh://u:s3cr3t@h" }, "DOCKER_HOST", /no password/);
  try {
    parse({ DOCKER_HOST: "ssh://u:s3cr3t@h" });
  } catch (e) {
    assert.ok(!String((e as Error).message).includes("s3cr3t"), "the password is echoed");
  }
  refused(
    { DOCKER_HOST: "tcp://10.0.0.5:2376", DOCKER_TLS_VERIFY: "0" },
    "DOCKER_TLS_VERIFY",
    /use "1"/,
  );
  refused(
    { DOCKER_HOST: "tcp://10.0.0.5:2375" },
    "DOCKER_HOST",
    /DOCKER_TLS_VERIFY=1.*ZU_DOCKER_INSECURE_TCP=1/,
  );
  refused({ DOCKER_HOST: "tcp://h:2376", DOCKER_TLS_VERIFY: "1" }, "DOCKER_CERT_PATH", /HOME/);
  refused({ DOCKER_CONTEXT: "prod" }, "DOCKER_CONTEXT", /docker context inspect prod/);
  // The opt-in accepts plain TCP to a non-loopback host.
  assert.equal(
    parse({ DOCKER_HOST: "tcp://10.0.0.5", ZU_DOCKER_INSECURE_TCP: "1" }).kind,
    "tcp",
  );
});

Deno.test("loopback, locality, descriptions and the Deno grants of each endpoint", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) {
    assert.ok(isLoopbackHost(h), h);
  }
  for (const h of ["10.0.0.1", "128.0.0.1", "localhost.example", "::2"]) {
    assert.ok(!isLoopbackHost(h), h);
  }
  const unix: DockerEndpoint = { kind: "unix", socketPath: "/s.sock" };
  const tcp: DockerEndpoint = {
    kind: "tcp",
    host: "::1",
    port: 2376,
    tls: { caPath: "/c/ca.pem", certPath: "/c/cert.pem", keyPath: "/c/key.pem" },
  };
  assert.ok(endpointIsLocal(unix));
  assert.ok(!endpointIsLocal(tcp), "loopback tcp may be a tunnel: not local");
  assert.equal(describeEndpoint(tcp), "tcp://[::1]:2376 (TLS, verified)");
  assert.deepEqual(endpointPermissionFlags(unix), [
    "--allow-net=unix:/s.sock",
    "--allow-read=/s.sock",
    "--allow-write=/s.sock",
  ]);
  assert.deepEqual(endpointGrants(tcp), {
    net: ["[::1]:2376"],
    read: ["/c/ca.pem", "/c/cert.pem", "/c/key.pem"],
    write: [],
    run: [],
  });
  assert.throws(
    () => requireLocalEngine(tcp, "run contained", "it bind-mounts host paths"),
    /^UserError: Cannot run contained on the remote Docker engine at tcp:\/\/\[::1\]:2376 .*unset DOCKER_HOST/,
  );
  requireLocalEngine(unix, "run contained", "x");
});

Deno.test("daemon errors: TLS failures, absence and drops each get their own code", () => {
  const tcp: DockerEndpoint = {
    kind: "tcp",
    host: "10.0.0.5",
    port: 2376,
    tls: { caPath: "/c/ca.pem", certPath: "/c/cert.pem", keyPath: "/c/key.pem" },
  };
  const e = (code: string, message: string) => Object.assign(new Error(message), { code });
  assert.equal(tlsFailureOf(e("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "x")), "untrusted");
  assert.equal(tlsFailureOf(new Error("invalid peer certificate: UnknownIssuer")), "untrusted");
  assert.equal(tlsFailureOf(e("ERR_TLS_CERT_ALTNAME_INVALID", "x")), "wrong_name");
  assert.equal(
    tlsFailureOf(new Error("received corrupt message of type InvalidContentType")),
    "not_tls",
  );
  assert.equal(tlsFailureOf(e("ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE", "x")), "client_refused");
  assert.equal(tlsFailureOf(new Error("boom")), null);
  assert.equal(daemonError(tcp, e("ERR_TLS_CERT_ALTNAME_INVALID", "x"))?.code, "docker_tls");
  assert.equal(
    daemonError(tcp, e("ECONNREFUSED", "connect ECONNREFUSED"))?.code,
    "docker_unavailable",
  );
  assert.match(daemonError(tcp, e("ECONNREFUSED", "x"))!.message, /at tcp:\/\/10\.0\.0\.5:2376/);
  assert.equal(daemonError(tcp, e("ECONNRESET", "socket hang up"))?.code, "docker_connection_lost");
  assert.equal(daemonError(tcp, new Error("(HTTP code 404) no such container")), null);
  // Without TLS a TLS-looking message is not a TLS failure.
  assert.equal(daemonError({ ...tcp, tls: null }, e("ERR_TLS_CERT_ALTNAME_INVALID", "x")), null);
});
