import { deepEqual } from "node:assert/strict";
import * as runner from "./mod.ts";
import * as jail from "./jail/mod.ts";
import * as contained from "./contained/mod.ts";

// Pins the public surface of the runner: adding or removing an export is a deliberate edit here.

Deno.test("runner/mod.ts exports exactly the runner's public names", () => {
  deepEqual(Object.keys(runner).sort(), [
    "DEFAULT_SANDBOX_BACKEND",
    "HostToolExecutor",
    "JAIL_ENTRY",
    "SandboxMeterBook",
    "denoBinary",
    "dockerPreflight",
    "hostEnvResolver",
    "isDefaultSandboxBackend",
    "jailFor",
    "meteredBackend",
    "openSandboxBackend",
    "pausedRunFor",
    "pendingApprovals",
    "permissionsFor",
    "recordRun",
    "registerSandboxBackend",
    "resolveApproval",
    "resumeRun",
    "runAgent",
    "runEvents",
    "runInProcess",
    "runJailed",
    "runLive",
    "sandboxBackendNames",
    "startRunBroker",
  ]);
});

Deno.test("runner/jail/mod.ts exports exactly the jail's public names", () => {
  deepEqual(Object.keys(jail).sort(), [
    "BROKER_WHY",
    "DENY_RANGES",
    "HOST_EXECUTED_TOOLS",
    "HostToolClient",
    "LineSink",
    "PARSER_ENV_KEYS",
    "RUNTIME_PERMISSION",
    "applyModelOverrides",
    "computeRunPermissions",
    "confinedAgentDir",
    "denialDetail",
    "errorOfReply",
    "hostForwardedTool",
    "installDenialHandlers",
    "isPermissionDenial",
    "jailAgentOf",
    "jailTool",
    "jailTools",
    "modelRoutes",
    "netEntryOfUrl",
    "parseJailLine",
    "parseJailResult",
    "parseModelOverrides",
    "providerRoute",
    "providerUpstream",
    "replyErrorOf",
    "routeIdOf",
    "runInJail",
    "runtimePermissionBlock",
    "safeEnv",
    "writeJailLine",
  ]);
});

Deno.test("runner/contained/mod.ts exports exactly the container launcher's public names", () => {
  deepEqual(Object.keys(contained).sort(), [
    "DEFAULT_LAUNCHER_IMAGE",
    "HOST_ONLY_TYPES",
    "SANDBOX_AGENT_DIR",
    "SIDECAR_PORT",
    "SandboxLauncher",
    "checkSandbox",
    "containedEventLine",
    "eventFromContained",
    "modelHostEntry",
    "runSandboxed",
    "sandboxSettingsFromEnv",
    "sandboxedPermissions",
  ]);
});
