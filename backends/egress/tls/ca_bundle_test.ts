import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import {
  CA_ENV_VARS,
  caEnv,
  SANDBOX_CA_PATH,
  sandboxTrustBundle,
  SYSTEM_ROOTS_PATH,
} from "./ca_bundle.ts";
import { createRunCa } from "./run_ca.ts";

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

Deno.test("sandboxTrustBundle puts the system roots first and the run CA last", async () => {
  const ca = createRunCa({ hosts: ["api.example.com"] });
  const dir = await Deno.makeTempDir({ prefix: "zu-bundle-" });
  try {
    const other = createRunCa({ hosts: ["x.test"] }).certPem.trimEnd(); // no final newline
    await Deno.writeTextFile(`${dir}/roots.crt`, other);
    const bundle = sandboxTrustBundle(ca.certPem, { systemRootsPath: `${dir}/roots.crt` });
    const certs = bundle.match(PEM) ?? [];
    equal(certs.length, 2);
    equal(new X509Certificate(certs[1]!).fingerprint256, ca.fingerprint256);
    ok(bundle.startsWith(other + "\n"));
    ok(bundle.endsWith("-----END CERTIFICATE-----\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sandboxTrustBundle is the run CA alone when the system roots are missing or off", () => {
  const ca = createRunCa({ hosts: ["api.example.com"] });
  equal(sandboxTrustBundle(ca.certPem, { systemRootsPath: "/nonexistent/roots.crt" }), ca.certPem);
  equal(sandboxTrustBundle(ca.certPem, { systemRootsPath: null }), ca.certPem);
  throws(() => sandboxTrustBundle("not a pem"), TypeError);
});

Deno.test("sandboxTrustBundle reads the Debian system bundle by default when it is there", () => {
  const ca = createRunCa({ hosts: ["api.example.com"] });
  let system = "";
  try {
    system = Deno.readTextFileSync(SYSTEM_ROOTS_PATH);
  } catch {
    system = "";
  }
  const bundle = sandboxTrustBundle(ca.certPem);
  const certs = bundle.match(PEM) ?? [];
  equal(certs.length, (system.match(PEM) ?? []).length + 1);
  equal(new X509Certificate(certs[certs.length - 1]!).fingerprint256, ca.fingerprint256);
});

Deno.test("caEnv points every CA variable at the mounted bundle", () => {
  deepEqual(CA_ENV_VARS, [
    "SSL_CERT_FILE",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
    "DENO_CERT",
  ]);
  equal(SANDBOX_CA_PATH, "/zu/ca.pem");
  deepEqual(caEnv(), Object.fromEntries(CA_ENV_VARS.map((n) => [n, "/zu/ca.pem"])));
  equal(caEnv("/etc/zu/b.pem").DENO_CERT, "/etc/zu/b.pem");
  throws(() => caEnv("relative.pem"), TypeError);
});
