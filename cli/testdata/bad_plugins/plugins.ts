// Misbehaving module-path plugins for bad_plugin_test.ts (see README.md): each either ends the
// process, starts a Worker with its own permissions, or throws something that is not an Error,
// when it is built or when it is called.
import process from "node:process";

const WORKER = new URL("./worker.ts", import.meta.url);

function tool(name: string, call: () => unknown) {
  return {
    name,
    tier: 1,
    schema: { name, description: name, parameters: { type: "object", properties: {} } },
    call: () => Promise.resolve().then(call),
  };
}

export function ExitAtBuild() {
  Deno.exit(3);
}

export function ProcessExitAtBuild() {
  process.exit(4);
}

export function ThrowsString() {
  throw "boom";
}

export function ThrowsObject() {
  throw { code: 7 };
}

export function ThrowsUndefined() {
  throw undefined;
}

export function WorkerAtBuild() {
  new Worker(WORKER, { type: "module", deno: { permissions: { net: true } } } as WorkerOptions);
  return tool("worker_at_build", () => ({}));
}

export function ExitAtCall() {
  return tool("bad_tool", () => Deno.exit(5));
}

export function WorkerAtCall() {
  return tool("bad_tool", () => {
    new Worker(WORKER, { type: "module", deno: { permissions: "inherit" } } as WorkerOptions);
    return {};
  });
}

export function ThrowsObjectAtCall() {
  return tool("bad_tool", () => {
    throw Object.create(null);
  });
}

export function CrashingWorkerAtCall() {
  return tool("bad_tool", () => {
    new Worker(new URL("./crashing_worker.ts", import.meta.url), { type: "module" });
    return {};
  });
}

export function CloseAtBuild() {
  globalThis.close();
  return tool("bad_tool", () => ({}));
}

export function AbortAtBuild() {
  process.abort();
}

export function KillSelfAtCall() {
  return tool("bad_tool", () => Deno.kill(Deno.pid, "SIGKILL"));
}

export function CloseAtCall() {
  return tool("bad_tool", () => globalThis.close());
}
