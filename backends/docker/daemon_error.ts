/**
 * One clear error for a daemon that cannot be talked to: not there (`docker_unavailable`), a TLS
 * failure (`docker_tls`: a certificate from another CA, a certificate for another name, a server
 * that does not speak TLS, our client certificate refused), or a connection that dropped in the
 * middle of a call (`docker_connection_lost`, a `RunFailure`); an `ssh://` failure
 * (`docker_ssh`, from `ssh_dial.ts`) is passed on as it is. Both Node-style (dockerode) and
 * Deno-style (`Deno.connectTls`) errors are recognised.
 *
 * @example
 * ```ts
 * import { daemonError } from "./daemon_error.ts";
 * const e = daemonError(
 *   { kind: "tcp", host: "10.0.0.5", port: 2376, tls: { caPath: "/c/ca.pem", certPath: "/c/cert.pem", keyPath: "/c/key.pem" } },
 *   Object.assign(new Error("unable to verify the first certificate"), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }),
 * );
 * console.assert(e?.code === "docker_tls");
 * ```
 * @module
 */
import { RunFailure, UserError } from "../../core/errors.ts";
import { dockerUnavailable } from "../../core/environment_errors.ts";
import { describeEndpoint, type DockerEndpoint } from "./docker_endpoint.ts";

/** Which TLS failure an error is, or null when it is not one. */
export type TlsFailure = "untrusted" | "wrong_name" | "not_tls" | "client_refused";

function textOf(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown } | null;
  return `${String(e?.code ?? "")} ${String(e?.message ?? error)}`;
}

/** The kind of TLS failure `error` reports, or null. */
export function tlsFailureOf(error: unknown): TlsFailure | null {
  const t = textOf(error);
  if (/ALTNAME|not valid for name|does not match certificate/i.test(t)) return "wrong_name";
  if (
    /UnknownIssuer|UNABLE_TO_VERIFY|SELF_SIGNED|self[- ]signed|unable to get (local )?issuer|CERT_UNTRUSTED|invalid peer certificate/i
      .test(t)
  ) return "untrusted";
  if (
    /WRONG_VERSION_NUMBER|wrong version number|InvalidContentType|corrupt message|packet length too long|EPROTO/i
      .test(t)
  ) {
    return "not_tls";
  }
  if (
    /BAD_CERTIFICATE|BadCertificate|CertificateRequired|certificate required|UNKNOWN_CA|UnknownCA|alert.*certificate/i
      .test(t)
  ) {
    return "client_refused";
  }
  return null;
}

const TLS_WHY: Record<TlsFailure, string> = {
  untrusted:
    "its certificate is not signed by the CA in DOCKER_CERT_PATH's ca.pem; check DOCKER_HOST names the right daemon and ca.pem is the CA that signed its certificate",
  wrong_name:
    "its certificate is not valid for that address; use the host name or IP its certificate names (subject alternative name) in DOCKER_HOST, or reissue the daemon's certificate",
  not_tls:
    "it does not speak TLS; start the daemon with --tlsverify and its certificates, or (loopback only) unset DOCKER_TLS_VERIFY",
  client_refused:
    "it refused our client certificate; DOCKER_CERT_PATH's cert.pem and key.pem must be signed by the CA the daemon trusts (--tlscacert)",
};

/** True when `error` means the connection broke in the middle of a call. */
export function isConnectionLost(error: unknown): boolean {
  return /ECONNRESET|EPIPE|socket hang up|connection reset|Broken pipe|ConnectionReset|UnexpectedEof|premature close|aborted/i
    .test(textOf(error));
}

function isNotThere(error: unknown): boolean {
  if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.ConnectionRefused) {
    return true;
  }
  return /ECONNREFUSED|ENOENT|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|Connection refused|No such file or directory/i
    .test(textOf(error));
}

/**
 * The one-line error for `error` from talking to `endpoint` during `what` ("start sandbox"), or
 * null when it is not a connection problem (an API error the caller handles).
 */
export function daemonError(
  endpoint: DockerEndpoint,
  error: unknown,
  what = "reach the Docker daemon",
): UserError | RunFailure | null {
  // ssh's own failure (ssh_dial.ts) already says what is wrong with the connection.
  if (error instanceof UserError && error.code === "docker_ssh") return error;
  if (error instanceof UserError || error instanceof RunFailure) return null;
  const where = describeEndpoint(endpoint);
  const tls = endpoint.kind === "tcp" && endpoint.tls ? tlsFailureOf(error) : null;
  if (tls) {
    return new UserError(
      "docker_tls",
      `Cannot ${what}: TLS with the Docker daemon at ${where} failed: ${TLS_WHY[tls]}`,
      { cause: error },
    );
  }
  if (isNotThere(error)) {
    return endpoint.kind === "unix"
      ? dockerUnavailable(what, endpoint.socketPath, { cause: error })
      : dockerUnavailable(what, null, {
        why: `no Docker daemon answers at ${where}`,
        cause: error,
      });
  }
  if (isConnectionLost(error)) {
    return new RunFailure(
      "docker_connection_lost",
      `Cannot ${what}: the connection to the Docker daemon at ${where} dropped mid-call; check the daemon is up ("zu doctor"), then run "zu sandbox gc" to remove what the call left behind`,
      { cause: error },
    );
  }
  return null;
}
