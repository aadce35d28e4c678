// Test helper: builds (or finds up to date) the local images the Docker tests use, once per process.
import { ATTACK_IMAGE, buildAttackImage, buildRuntimeImage, RUNTIME_IMAGE } from "./image_build.ts";

let attack: Promise<string> | undefined;
let runtime: Promise<string> | undefined;

/** The attack image tag, built if missing or stale. */
export function attackImage(): Promise<string> {
  attack ??= buildAttackImage().then(() => ATTACK_IMAGE);
  return attack;
}

/** The runtime image tag, built if missing or stale. */
export function runtimeImage(): Promise<string> {
  runtime ??= buildRuntimeImage().then(() => RUNTIME_IMAGE);
  return runtime;
}

/** A run id unique to this test. */
export function testRunId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}
