/**
 * The git gate: bare mirrors on the host, a token-checked smart HTTP server in front of
 * `git http-backend`, per-run tokens, and the operator's pending / diff / forward / drop.
 *
 * @example
 * ```ts ignore
 * import { addGateRepo, GateTokens, startGateServer } from "./mod.ts";
 * await addGateRepo("/srv/zu-gate", "app", "/src/app.git");
 * const tokens = new GateTokens();
 * await using gate = startGateServer({ root: "/srv/zu-gate", tokens });
 * ```
 * @module
 */
export * from "./gate_dir.ts";
export * from "./gate_repos.ts";
export * from "./gate_server.ts";
export * from "./gate_tokens.ts";
export * from "./push_commands.ts";
export * from "./push_policy.ts";
export * from "./run_gate.ts";
export * from "./gate_token_screen.ts";
export * from "./gate_sandbox_leg.ts";
export * from "./gate_workspaces.ts";
export * from "./gate_event_writer.ts";
