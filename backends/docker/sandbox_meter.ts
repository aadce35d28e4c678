/**
 * What a live sandbox used, read the way the daemon reports it: one `GET /containers/{id}/stats`
 * (`stream=false&one-shot=true`: no second sample, no wait) and one inspect.
 *
 * | figure | daemon field | cgroup v1 file | cgroup v2 file |
 * | --- | --- | --- | --- |
 * | CPU time | `cpu_stats.cpu_usage.total_usage` (ns) | `cpuacct/cpuacct.usage` | `cpu.stat` `usage_usec` (the daemon converts to ns) |
 * | peak memory | `memory_stats.max_usage` (bytes) | `memory/memory.max_usage_in_bytes` | none reported (`memory.peak` is not read by the daemon): null |
 * | memory limit | `HostConfig.Memory` (else `memory_stats.limit`) | `memory.limit_in_bytes` | `memory.max` |
 * | CPU limit | `HostConfig.NanoCpus` / 1e9 | `cpu.cfs_quota_us / cpu.cfs_period_us` | `cpu.max` |
 * | wall | now − `State.StartedAt` (or `FinishedAt` − `StartedAt` once stopped) | | |
 *
 * @example
 * ```ts ignore
 * import { readSandboxUsage } from "./sandbox_meter.ts";
 * const usage = await readSandboxUsage(docker, handle.id);
 * console.log(usage.cpuSeconds, usage.memoryPeakBytes, usage.wallSeconds);
 * ```
 * @module
 */
import type { DockerClient } from "./docker_client.ts";
import type { MeterInput } from "../../core/sandbox_prices.ts";

interface StatsReply {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { max_usage?: number; limit?: number };
}

/** Reads a sandbox's counters (CPU time, peak memory, limits, wall time) from the daemon. */
export async function readSandboxUsage(docker: DockerClient, id: string): Promise<MeterInput> {
  const container = docker.getContainer(id);
  // The two calls are independent: asked together, a meter costs one round trip's wait.
  const [info, reply] = await Promise.all([
    container.inspect(),
    (container.stats as (o: Record<string, unknown>) => Promise<unknown>).call(container, {
      stream: false,
      "one-shot": true,
    }),
  ]);
  let raw: unknown = reply;
  if (raw instanceof Uint8Array) raw = JSON.parse(new TextDecoder().decode(raw));
  const stats = raw as StatsReply;
  const started = Date.parse(info.State.StartedAt);
  const finished = info.State.Running ? Date.now() : Date.parse(info.State.FinishedAt);
  const wallSeconds = Number.isFinite(started) && Number.isFinite(finished)
    ? Math.max(0, (finished - started) / 1000)
    : 0;
  const nano = info.HostConfig.NanoCpus ?? 0;
  const quota = info.HostConfig.CpuQuota ?? 0;
  const period = info.HostConfig.CpuPeriod || 100_000;
  const cpuLimit = nano > 0
    ? nano / 1e9
    : quota > 0
    ? quota / period
    : navigator.hardwareConcurrency || 1;
  const peak = stats.memory_stats?.max_usage;
  return {
    cpuSeconds: (stats.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
    memoryPeakBytes: typeof peak === "number" && peak > 0 ? peak : null,
    memoryLimitBytes: info.HostConfig.Memory || stats.memory_stats?.limit || 0,
    cpuLimit,
    wallSeconds,
  };
}
