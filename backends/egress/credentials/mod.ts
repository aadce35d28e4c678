/**
 * Credentials at the egress proxy (`inject` and `placeholder` bindings): the interceptor the
 * proxy hands claimed CONNECTs to, and its parts (placeholders, the placeholder scanner, header
 * rules, the auth-protect table, response redaction).
 *
 * @example
 * ```ts
 * import { createCredentialInterceptor, PlaceholderSet } from "./mod.ts";
 * const handoff = createCredentialInterceptor({
 *   bindings: [{ secret: "GH", mode: "placeholder", hosts: ["api.github.com"] }],
 *   resolver: { resolve: () => Promise.resolve("value") },
 *   placeholders: new PlaceholderSet(),
 *   terminate: () => Promise.reject(new Error("no CA in this example")),
 *   connectUpstream: () => Promise.reject(new Error("no network in this example")),
 *   onCredential: () => {},
 *   onEcho: () => {},
 * });
 * console.assert(handoff.claims("api.github.com", 443, "connect"));
 * console.assert(!handoff.claims("api.github.com", 80, "http"));
 * console.assert(!handoff.claims("example.com", 443, "connect"));
 * ```
 * @module
 */
export * from "./credential_interceptor.ts";
export * from "./placeholder.ts";
export * from "./placeholder_scan.ts";
export * from "./header_rules.ts";
export * from "./auth_endpoints.ts";
export * from "./response_redact.ts";
export * from "./binding_table.ts";
export * from "./byte_stream.ts";
