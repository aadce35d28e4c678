/**
 * Image policy: which image references a sandbox may run.
 *
 * The registry is taken lexically, as zu does: the first path segment is a registry host only if
 * it contains `.` or `:` or is `localhost`. A reference with no registry names a local image
 * (nothing can be pulled here), and counts as the registry `local`.
 *
 * @example
 * ```ts
 * import { checkImagePolicy, parseImageRef } from "./image_policy.ts";
 * console.assert(parseImageRef("zu-runtime:0.1.0").registry === "local");
 * checkImagePolicy("zu-runtime:0.1.0", { allowRegistries: ["local"] }); // passes
 * ```
 * @module
 */
import { UserError } from "../../core/errors.ts";

/** Which images may run. */
export interface ImagePolicy {
  /** Registries allowed; `local` = a reference with no registry. Default `["local"]`. */
  allowRegistries: string[];
  /** Require `@sha256:` in every reference. Default `false`. */
  requireDigest?: boolean;
  /** Reference (without digest) → the digest or image id it must resolve to. */
  pins?: Record<string, string>;
}

/** The default policy: local images only. */
export const DEFAULT_IMAGE_POLICY: ImagePolicy = { allowRegistries: ["local"] };

/** A parsed image reference. */
export interface ImageRef {
  /** Registry host, or `local`. */
  registry: string;
  /** Repository path (without registry). */
  repository: string;
  /** Tag, or null. */
  tag: string | null;
  /** `sha256:<hex>`, or null. */
  digest: string | null;
  /** The reference without its digest (`name[:tag]`, registry included). */
  name: string;
}

/** A refused image. */
export class ImagePolicyError extends UserError {
  /** The refused reference. */
  readonly image: string;
  /** Creates the error. */
  constructor(image: string, message: string) {
    super("image_policy", message);
    this.name = "ImagePolicyError";
    this.image = image;
  }
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Parses an image reference lexically (throws `TypeError` on an empty or malformed one). */
export function parseImageRef(ref: string): ImageRef {
  if (!ref || /\s/.test(ref)) throw new TypeError(`Invalid image reference "${ref}"`);
  let rest = ref;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new TypeError(`Invalid image reference "${ref}": bad digest`);
  }
  const slash = rest.indexOf("/");
  let registry = "local";
  let path = rest;
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      registry = first.toLowerCase();
      path = rest.slice(slash + 1);
    }
  }
  const colon = path.lastIndexOf(":");
  const tag = colon > path.lastIndexOf("/") && colon >= 0 ? path.slice(colon + 1) : null;
  const repository = tag === null ? path : path.slice(0, colon);
  if (!repository || !/^[a-z0-9][a-z0-9._\/-]*$/.test(repository)) {
    throw new TypeError(`Invalid image reference "${ref}"`);
  }
  return { registry, repository, tag, digest, name: rest };
}

/**
 * Checks a reference against a policy (lexical part: registry and digest requirement). Throws
 * `ImagePolicyError` with one line saying why.
 */
export function checkImagePolicy(
  ref: string,
  policy: ImagePolicy = DEFAULT_IMAGE_POLICY,
): ImageRef {
  let parsed: ImageRef;
  try {
    parsed = parseImageRef(ref);
  } catch (error) {
    throw new ImagePolicyError(ref, `Cannot start sandbox: ${(error as Error).message}`);
  }
  const allowed = policy.allowRegistries.map((r) => r.toLowerCase());
  if (!allowed.includes(parsed.registry)) {
    throw new ImagePolicyError(
      ref,
      `Cannot start sandbox: image "${ref}" comes from registry "${parsed.registry}", which is not allowed (allowed: ${
        allowed.map((r) => `"${r}"`).join(", ")
      })`,
    );
  }
  if (policy.requireDigest && parsed.digest === null) {
    throw new ImagePolicyError(
      ref,
      `Cannot start sandbox: image "${ref}" is not pinned by digest (@sha256:...)`,
    );
  }
  return parsed;
}

/**
 * Checks a pin against what the daemon has: the pinned digest must equal the image id or one of
 * its repo digests.
 */
export function checkImagePin(
  ref: ImageRef,
  policy: ImagePolicy,
  local: { id: string; repoDigests: string[] },
): void {
  const pin = policy.pins?.[ref.name] ??
    (ref.tag === null ? policy.pins?.[`${ref.name}:latest`] : undefined);
  const wanted = ref.digest ?? pin;
  if (wanted === undefined) return;
  if (pin !== undefined && ref.digest !== null && pin !== ref.digest) {
    throw new ImagePolicyError(
      ref.name,
      `Cannot start sandbox: image "${ref.name}" is pinned to "${pin}" but "${ref.digest}" was asked for`,
    );
  }
  const digests = local.repoDigests.map((d) => d.slice(d.indexOf("@") + 1));
  if (local.id !== wanted && !digests.includes(wanted)) {
    throw new ImagePolicyError(
      ref.name,
      `Cannot start sandbox: image "${ref.name}" resolves to "${local.id}", not the pinned "${wanted}"`,
    );
  }
}
