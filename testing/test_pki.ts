/**
 * Throwaway X.509 material for TLS tests, made with the host's `openssl` (EC P-256, 1 day): a CA,
 * server certificates with an IP or DNS subject alternative name, and client certificates, each
 * written as PEM files into a directory the caller owns and deletes.
 *
 * @example
 * ```ts ignore
 * import { makeCa, issueCert } from "./test_pki.ts";
 * const ca = await makeCa("/tmp/pki", "test-ca");
 * await issueCert(ca, "/tmp/pki/server", { kind: "server", san: "IP:127.0.0.1" });
 * ```
 * @module
 */

/** A CA: its certificate and key files. */
export interface TestCa {
  /** Certificate (PEM). */
  certPath: string;
  /** Key (PEM). */
  keyPath: string;
}

/** A certificate and its key. */
export interface TestCert {
  /** Certificate (PEM). */
  certPath: string;
  /** Key (PEM). */
  keyPath: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** True when `openssl` runs on this host. */
export async function opensslAvailable(): Promise<boolean> {
  try {
    return (await new Deno.Command("openssl", { args: ["version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** Makes a self-signed CA named `name` in `dir` (`<name>.pem`, `<name>-key.pem`). */
export async function makeCa(dir: string, name: string): Promise<TestCa> {
  await Deno.mkdir(dir, { recursive: true });
  const ca = { certPath: `${dir}/${name}.pem`, keyPath: `${dir}/${name}-key.pem` };
  await openssl([
    "req",
    "-x509",
    ...EC,
    "-keyout",
    ca.keyPath,
    "-out",
    ca.certPath,
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  return ca;
}

/** What to issue: a server certificate for `san` (`IP:127.0.0.1`, `DNS:x`) or a client one. */
export type CertRequest = { kind: "server"; san: string } | { kind: "client" };

/** Issues a certificate signed by `ca` as `<prefix>-cert.pem` and `<prefix>-key.pem`. */
export async function issueCert(
  ca: TestCa,
  prefix: string,
  request: CertRequest,
): Promise<TestCert> {
  const out = { certPath: `${prefix}-cert.pem`, keyPath: `${prefix}-key.pem` };
  const csr = `${prefix}.csr`;
  const ext = `${prefix}.ext`;
  const dir = prefix.slice(0, prefix.lastIndexOf("/")) || "/";
  await openssl([
    "req",
    ...EC,
    "-keyout",
    out.keyPath,
    "-out",
    csr,
    "-subj",
    `/CN=zu-${request.kind}`,
  ], dir);
  await Deno.writeTextFile(
    ext,
    request.kind === "server"
      ? `subjectAltName=${request.san}\nextendedKeyUsage=serverAuth\n`
      : "extendedKeyUsage=clientAuth\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.certPath,
    "-CAkey",
    ca.keyPath,
    "-CAcreateserial",
    "-out",
    out.certPath,
    "-days",
    "1",
    "-extfile",
    ext,
  ], dir);
  await Deno.remove(csr);
  await Deno.remove(ext);
  return out;
}

/**
 * Writes a Docker client directory (`ca.pem`, `cert.pem`, `key.pem`, the layout
 * `DOCKER_CERT_PATH` names) from `ca` and a client certificate.
 */
export async function writeDockerCertDir(dir: string, ca: TestCa, client: TestCert): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.copyFile(ca.certPath, `${dir}/ca.pem`);
  await Deno.copyFile(client.certPath, `${dir}/cert.pem`);
  await Deno.copyFile(client.keyPath, `${dir}/key.pem`);
}
