/**
 * `zu sandbox`: the Docker sandbox: build the local runtime image, run a command in a hardened
 * container, remove leaked sandboxes, check the daemon.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import type { CommandDef } from "./_command.ts";

const notYet = () =>
  Promise.reject(new UserError("not_available", "zu sandbox is not available yet"));

const imageBuild: CommandDef = {
  name: "build",
  summary: "Build the runtime image locally from this machine's Deno (no registry pull)",
  flags: {
    browser: { type: "boolean", description: "Also build the browser image" },
    tag: { type: "string", description: "Image tag (default: zu-runtime:<version>)" },
    json: { type: "boolean", description: "Print JSON" },
  },
  run: notYet,
};

const image: CommandDef = {
  name: "image",
  summary: "Manage sandbox images",
  subcommands: [imageBuild],
};

const exec: CommandDef = {
  name: "exec",
  summary: "Run one command in a hardened, network-less sandbox and print its output",
  positionals: [{ name: "image", description: "Image to run (must pass the image policy)" }],
  passthrough: { name: "cmd", description: "The command and its arguments" },
  flags: {
    "timeout-ms": {
      type: "number",
      description: "Kill the sandbox after this many ms",
      default: 30000,
    },
    json: { type: "boolean", description: "Print the exec result as JSON" },
  },
  examples: ["zu sandbox exec zu-runtime:0.1.0 -- deno --version"],
  run: notYet,
};

const gc: CommandDef = {
  name: "gc",
  summary: "Remove containers and networks that dead runs left behind (label zu.managed=1)",
  flags: { json: { type: "boolean", description: "Print JSON" } },
  run: notYet,
};

const doctor: CommandDef = {
  name: "doctor",
  summary: "Check the Docker daemon, the images and the seccomp profiles",
  flags: { json: { type: "boolean", description: "Print JSON" } },
  run: notYet,
};

/** `zu sandbox`. */
export const sandboxCommand: CommandDef = {
  name: "sandbox",
  summary: "Docker sandbox: image build, exec, gc, doctor",
  subcommands: [image, exec, gc, doctor],
};
