/**
 * The per-run certificate authority of the credential interceptor: an ECDSA P-256 CA made in
 * memory for one run, valid for at most 24 hours, whose X.509 NameConstraints (critical) permit
 * only the hosts that have a secret binding. Even a leaked CA key cannot mint a certificate that a
 * client accepts for any other name or address. It mints server leaves on demand for the hosts it
 * permits, all with one leaf key pair generated once per CA, kept in a 256-entry LRU.
 *
 * The CA's private key lives in a private field and is never exported.
 *
 * Constraint encoding: a name (and `*.domain`) becomes a permitted dNSName subtree, which RFC
 * 5280 defines as the name and all its subdomains, so a bound `api.example.com` also lets the
 * key vouch for `x.api.example.com` (no exact-name constraint exists); {@linkcode RunCa.permits}
 * and `mintLeaf` stay exact. An IP literal becomes an iPAddress subtree with a /32 or /128 mask.
 * With no address bound, every IPv4 and IPv6 address is excluded (a type without a permitted
 * subtree would be unconstrained); with no name bound, only the reserved `invalid` TLD is
 * permitted. A leaf for an address has an empty subject and a critical SAN, since OpenSSL
 * checks a host-like CN against the dNSName constraints.
 *
 * @example
 * ```ts
 * import { X509Certificate } from "node:crypto";
 * import { createRunCa } from "./run_ca.ts";
 * const ca = createRunCa({ hosts: ["api.example.com", "*.github.com"] });
 * const leaf = ca.mintLeaf("uploads.github.com");
 * const cert = new X509Certificate(leaf.certPem);
 * console.assert(cert.checkIssued(new X509Certificate(ca.certPem)));
 * console.assert(cert.subjectAltName === "DNS:uploads.github.com");
 * console.assert(!ca.permits("example.org"));
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { generateKeyPairSync, type KeyObject, randomBytes, X509Certificate } from "node:crypto";
import { normalizeHost } from "../../../core/host_normalize.ts";
import { parseHostPattern } from "../../../core/host_pattern.ts";
import {
  caExtensions,
  certPem,
  keyIdentifier,
  leafExtensions,
  MAX_CN_LENGTH,
  signCertificate,
  x509Name,
} from "./_x509.ts";
import { UNCHECKED_SIGN } from "./_unchecked_sign.ts";

/** The longest validity a run CA may have: 24 hours. */
export const MAX_CA_VALIDITY_MS: number = 24 * 60 * 60 * 1000;
/** How many minted leaves a run CA keeps (least recently used first out). */
export const LEAF_CACHE_SIZE = 256;
/** How far before `now` a run CA's and its leaves' validity starts (clock skew). */
const BACKDATE_MS = 60_000;

/** A minted server certificate and its private key, both PEM. */
export interface LeafCert {
  /** The leaf certificate (PEM). */
  readonly certPem: string;
  /** The leaf's private key (PKCS #8 PEM); one key is shared by every leaf of a CA. */
  readonly keyPem: string;
}

/** Options of {@linkcode createRunCa}. */
export interface RunCaOptions {
  /**
   * The bound hosts: exact names, `*.domain` (the domain and every subdomain, as RFC 5280
   * dNSName constraints and zu's host patterns both mean it) and IP literals. A `:port` suffix
   * is accepted and ignored (a certificate does not name ports).
   */
  readonly hosts: readonly string[];
  /** Validity from `now`, at most 24 h. Default 24 h. */
  readonly validityMs?: number;
  /** The current time. Default `new Date()`. */
  readonly now?: Date;
}

/** A per-run CA (see the module doc). */
export interface RunCa {
  /** The CA certificate (PEM), to be trusted inside the sandbox. */
  readonly certPem: string;
  /** The CA certificate (DER). */
  readonly certDer: Uint8Array;
  /** SHA-256 fingerprint, `AB:CD:...` as `X509Certificate.fingerprint256` writes it. */
  readonly fingerprint256: string;
  /** Start of validity (`now` minus one minute). */
  readonly notBefore: Date;
  /** End of validity (`now` plus the validity). */
  readonly notAfter: Date;
  /** The canonical bound host patterns (`*.domain` for a domain subtree). */
  readonly hosts: readonly string[];
  /** Whether the CA may mint a leaf for `host` (any spelling; normalised first). */
  permits(host: string): boolean;
  /**
   * A leaf for `host` (cached per canonical host). Throws `TypeError` when `host` is not a
   * host or the CA does not permit it.
   */
  mintLeaf(host: string): LeafCert;
}

interface Binding {
  host: string;
  wildcard: boolean;
  ip: boolean;
}

function keyPair(): { privateKey: KeyObject; spki: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  return { privateKey, spki };
}

function serial(): Uint8Array {
  return new Uint8Array(randomBytes(16));
}

function parseBindings(hosts: readonly string[]): Binding[] {
  const seen = new Map<string, Binding>();
  for (const text of hosts) {
    const p = parseHostPattern(text);
    const b = { host: p.host, wildcard: p.wildcard, ip: p.ip };
    const key = `${b.wildcard ? "*." : ""}${b.host}`;
    if (!seen.has(key)) seen.set(key, b);
  }
  return [...seen.values()];
}

class RunCaImpl implements RunCa {
  readonly certPem: string;
  readonly certDer: Uint8Array;
  readonly fingerprint256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly hosts: readonly string[];
  readonly #bindings: readonly Binding[];
  readonly #key: KeyObject;
  readonly #keyId: Uint8Array;
  readonly #subject: Uint8Array;
  readonly #leafSpki: Uint8Array;
  readonly #leafKeyId: Uint8Array;
  readonly #leafKey: KeyObject;
  #leafKeyPem: string | undefined;
  readonly #leaves = new Map<string, LeafCert>();

  constructor(options: RunCaOptions) {
    if (!Array.isArray(options?.hosts)) {
      throw new TypeError("Cannot create a run CA: hosts must be an array of host patterns");
    }
    const validity = options.validityMs ?? MAX_CA_VALIDITY_MS;
    if (!Number.isFinite(validity) || validity <= 0 || validity > MAX_CA_VALIDITY_MS) {
      throw new RangeError(
        `Cannot create a run CA valid for ${validity} ms: it must be above 0 and at most 24 h`,
      );
    }
    const now = (options.now ?? new Date()).getTime();
    if (!Number.isFinite(now)) throw new RangeError("Cannot create a run CA: now is invalid");
    this.#bindings = parseBindings(options.hosts);
    this.hosts = Object.freeze(this.#bindings.map((b) => (b.wildcard ? "*." : "") + b.host));
    // Whole seconds: certificate times have no fractions, so what is reported is what is signed.
    this.notBefore = new Date(Math.floor((now - BACKDATE_MS) / 1000) * 1000);
    this.notAfter = new Date(Math.floor((now + validity) / 1000) * 1000);

    const ca = keyPair();
    this.#key = ca.privateKey;
    this.#keyId = keyIdentifier(ca.spki);
    const tag = Buffer.from(this.#keyId.subarray(0, 4)).toString("hex");
    this.#subject = x509Name({ o: "zu", cn: `zu run CA ${tag}` });
    const names = this.#bindings.filter((b) => !b.ip).map((b) => b.host);
    const ips = this.#bindings.filter((b) => b.ip).map((b) => b.host);
    this.certDer = signCertificate({
      serial: serial(),
      issuer: this.#subject,
      subject: this.#subject,
      notBefore: this.notBefore,
      notAfter: this.notAfter,
      spki: ca.spki,
      extensions: caExtensions(this.#keyId, names, ips),
    }, this.#key);
    this.certPem = certPem(this.certDer);
    this.fingerprint256 = new X509Certificate(this.certDer).fingerprint256;

    const leaf = keyPair();
    this.#leafKey = leaf.privateKey;
    this.#leafSpki = leaf.spki;
    this.#leafKeyId = keyIdentifier(leaf.spki);
  }

  permits(host: string): boolean {
    const h = normalizeHost(host);
    return h !== null && this.#permitsCanonical(h);
  }

  #permitsCanonical(h: string): boolean {
    return this.#bindings.some((b) =>
      b.host === h || (b.wildcard && h.length > b.host.length && h.endsWith(`.${b.host}`))
    );
  }

  mintLeaf(host: string): LeafCert {
    const h = normalizeHost(host);
    if (h === null) throw new TypeError(`Cannot mint a leaf for "${host}": not a host name`);
    const hit = this.#leaves.get(h);
    if (hit !== undefined) {
      this.#leaves.delete(h);
      this.#leaves.set(h, hit);
      return hit;
    }
    if (!this.#permitsCanonical(h)) {
      throw new TypeError(`Cannot mint a leaf for "${h}": the run CA is not bound to that host`);
    }
    const leaf = this.#sign(h);
    this.#leaves.set(h, leaf);
    if (this.#leaves.size > LEAF_CACHE_SIZE) {
      this.#leaves.delete(this.#leaves.keys().next().value as string);
    }
    return leaf;
  }

  [UNCHECKED_SIGN](host: string): LeafCert {
    return this.#sign(host);
  }

  #sign(h: string): LeafCert {
    const ip = h.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(h);
    // An address, or a name longer than a commonName may be, goes in the SAN only under an
    // empty subject: OpenSSL checks a CN that looks like a host against the dNSName
    // constraints, so `CN=127.0.0.1` fails a CA that also binds a name.
    const emptySubject = ip || h.length > MAX_CN_LENGTH;
    const der = signCertificate({
      serial: serial(),
      issuer: this.#subject,
      subject: x509Name(emptySubject ? {} : { cn: h }),
      notBefore: this.notBefore,
      notAfter: this.notAfter,
      spki: this.#leafSpki,
      extensions: leafExtensions(h, ip, this.#leafKeyId, this.#keyId, emptySubject),
    }, this.#key);
    this.#leafKeyPem ??= this.#leafKey.export({ type: "pkcs8", format: "pem" }) as string;
    return Object.freeze({ certPem: certPem(der), keyPem: this.#leafKeyPem });
  }
}

/**
 * Creates a per-run CA bound to `options.hosts` (see the module doc). Throws `TypeError` for a
 * host outside zu's host-pattern grammar and `RangeError` for a validity above 24 h.
 *
 * @example
 * ```ts
 * import { createRunCa } from "./run_ca.ts";
 * const ca = createRunCa({ hosts: ["127.0.0.1"], validityMs: 60 * 60 * 1000 });
 * console.assert(ca.notAfter.getTime() - ca.notBefore.getTime() <= 61 * 60 * 1000);
 * console.assert(ca.mintLeaf("127.0.0.1").certPem.startsWith("-----BEGIN CERTIFICATE-----"));
 * ```
 */
export function createRunCa(options: RunCaOptions): RunCa {
  return new RunCaImpl(options);
}
