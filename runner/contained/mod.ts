/**
 * The contained way of running an agent: the whole agent, under the Deno permission jail, in a
 * hardened runtime container on an internal network whose only way out is an egress-proxy
 * sidecar ({@link SandboxLauncher}, the Docker adapter of the `AgentLauncher` port). The jail's
 * event lines and the proxy's decisions land in the host's sink as they happen.
 *
 * @example
 * ```ts
 * import { sandboxedPermissions } from "./mod.ts";
 * const p = sandboxedPermissions({
 *   agentDir: "/home/me/shop",
 *   tools: [{ name: "http_fetch", egress: ["*"] }],
 *   target: "https://shop.example/",
 * });
 * console.assert(p.flags.includes("--allow-read=/agent"));
 * ```
 * @module
 */
export {
  checkSandbox,
  runSandboxed,
  SANDBOX_AGENT_DIR,
  sandboxedPermissions,
} from "./run_contained.ts";
export type {
  CheckSandboxOptions,
  LauncherWiring,
  RunSandboxedOptions,
  SandboxedRun,
} from "./run_contained.ts";
export {
  containedEventLine,
  DEFAULT_LAUNCHER_IMAGE,
  eventFromContained,
  HOST_ONLY_TYPES,
  modelHostEntry,
  SandboxLauncher,
  SIDECAR_PORT,
} from "./sandbox_launcher.ts";
export type { LaunchOutcome, LaunchRequest, SandboxLauncherOptions } from "./sandbox_launcher.ts";
export { sandboxSettingsFromEnv } from "./sandbox_settings.ts";
export type { SandboxSettings } from "./sandbox_settings.ts";
