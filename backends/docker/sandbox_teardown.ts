/**
 * `teardownSandbox`: removes one sandbox's container, its workspace volume and the internal
 * network it created, each on its own, and reports what went (a 404 is "already gone": not
 * listed) and what failed. Snapshots outlive their sandbox (`zu sandbox rm` removes them), so the
 * report's `snapshots` stays empty here.
 *
 * @example
 * ```ts ignore
 * import { teardownSandbox } from "./sandbox_teardown.ts";
 * const report = await teardownSandbox(docker, { id, workspace: "zu-ws-run-1", network: null });
 * console.log(report.containers, report.failed);
 * ```
 * @module
 */
import type { DockerClient } from "./docker_client.ts";
import type { TeardownReport } from "../../core/types.ts";
import { emptyTeardownReport } from "../../core/sandbox_lifecycle.ts";
import { statusOf } from "./_client.ts";

/** What a sandbox owns. */
export interface SandboxParts {
  /** Container id. */
  id: string;
  /** Its workspace volume, if any. */
  workspace?: string | undefined;
  /** The internal network it created, if any. */
  network?: string | null | undefined;
}

function text(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 300);
}

/** Removes the parts of one sandbox; never throws for a part, reports it instead. */
export async function teardownSandbox(
  docker: DockerClient,
  parts: SandboxParts,
): Promise<TeardownReport> {
  const report = emptyTeardownReport({ id: parts.id, name: parts.id, runId: "" });
  const step = async (
    kind: "container" | "volume" | "network",
    name: string,
    list: string[],
    fn: () => Promise<unknown>,
    gone: number[] = [404],
  ) => {
    try {
      await fn();
      list.push(name);
    } catch (e) {
      if (!gone.includes(statusOf(e) ?? 0)) report.failed.push({ kind, name, error: text(e) });
    }
  };
  await step(
    "container",
    parts.id,
    report.containers,
    () => docker.getContainer(parts.id).remove({ force: true, v: true }),
    // 409: removal already in progress (another destroy): it goes.
    [404, 409],
  );
  if (parts.workspace) {
    const ws = parts.workspace;
    await step("volume", ws, report.volumes, () => docker.getVolume(ws).remove({ force: true }));
  }
  if (parts.network) {
    const net = parts.network;
    await step("network", net, report.networks, () => docker.getNetwork(net).remove());
  }
  return report;
}
