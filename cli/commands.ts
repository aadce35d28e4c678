/**
 * The command tree of `zu`, in the order `zu --help` lists it.
 *
 * @module
 */
import type { CommandDef } from "./_command.ts";
import { approveCommand, rejectCommand } from "./cmd_approve.ts";
import { buildCommand } from "./cmd_build.ts";
import { captureCommand } from "./cmd_capture.ts";
import { clearCommandGroup } from "./cmd_clear.ts";
import { demoCommand } from "./cmd_demo.ts";
import { doctorCommand } from "./cmd_doctor.ts";
import { eventsCommand } from "./cmd_events.ts";
import { explainPermissionsCommand } from "./cmd_explain_permissions.ts";
import { gateCommand } from "./cmd_gate.ts";
import { hardenCommand } from "./cmd_harden.ts";
import { initCommand } from "./cmd_init.ts";
import { mcpCommand } from "./cmd_mcp.ts";
import { pendingCommand } from "./cmd_pending.ts";
import { replayCommand } from "./cmd_replay.ts";
import { runCommand } from "./cmd_run.ts";
import { sandboxCommand } from "./cmd_sandbox.ts";
import { serveCommand } from "./cmd_serve.ts";
import { vaultCommand } from "./cmd_vault.ts";
import { watchCommand } from "./cmd_watch.ts";
import { VERSION } from "./version.ts";

export { VERSION } from "./version.ts";

/** Every command, in help order. */
export function allCommands(): CommandDef[] {
  return [
    demoCommand,
    initCommand,
    runCommand,
    pendingCommand,
    clearCommandGroup,
    watchCommand,
    approveCommand,
    rejectCommand,
    captureCommand,
    replayCommand,
    hardenCommand,
    buildCommand,
    eventsCommand,
    serveCommand,
    mcpCommand,
    sandboxCommand,
    vaultCommand,
    gateCommand,
    doctorCommand,
    explainPermissionsCommand,
  ];
}

/** The root `zu` command (a group). */
export function rootCommand(): CommandDef {
  return {
    name: "zu",
    summary: "run LLM agents safely and harden them offline before any live run",
    description: `Start with "zu demo" (offline, no Docker needed), then "zu init my-agent".
Exit codes: 0 success, 1 the run or check failed, 2 usage or configuration error.`,
    subcommands: allCommands(),
    version: VERSION,
  };
}
