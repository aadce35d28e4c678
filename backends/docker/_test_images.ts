// Test helper: builds (or finds up to date) the local images the Docker tests use, once per
// process, and says what the host lacks to build them. The attack image is built from the host's
// static busybox (Debian `busybox-static`) and a probe compiled with `gcc -static` (Debian `gcc`
// and `libc6-dev`); without them its tests are skipped with one line, or fail under
// ZU_REQUIRE_DOCKER=1. ZU_TEST_BUSYBOX and ZU_TEST_CC point the lookups elsewhere (a missing
// path simulates a machine without the package).
import { dockerTest, type DockerTestOptions } from "../../testing/docker.ts";
import { isStaticElf } from "./_elf.ts";
import { ATTACK_IMAGE, buildAttackImage, buildRuntimeImage, RUNTIME_IMAGE } from "./image_build.ts";

const BUSYBOX = Deno.env.get("ZU_TEST_BUSYBOX") || "/bin/busybox";
const CC = Deno.env.get("ZU_TEST_CC") || "gcc";

function staticLibc(cc: string): boolean {
  try {
    const out = new Deno.Command(cc, {
      args: ["-print-file-name=libc.a"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const path = new TextDecoder().decode(out.stdout).trim();
    return out.success && path.startsWith("/") && Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** What the host lacks to build the attack image, as one line naming the packages, or `null`. */
async function attackHostMissing(): Promise<string | null> {
  const packages: string[] = [];
  const found: string[] = [];
  const isStatic = await isStaticElf(BUSYBOX);
  if (isStatic !== true) {
    packages.push("busybox-static");
    found.push(isStatic === false ? `"${BUSYBOX}" is not static` : `"${BUSYBOX}" is missing`);
  }
  if (!staticLibc(CC)) {
    packages.push("gcc", "libc6-dev");
    found.push(`"${CC} -static" cannot link`);
  }
  if (packages.length === 0) return null;
  return `the attack image needs host packages (${found.join(", ")}): apt-get install ${
    packages.join(" ")
  }`;
}

const attackMissing: string | null = await attackHostMissing();

/** A `dockerTest` that needs the attack image: skipped with one line when the host cannot build it. */
export function attackTest(
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
  options: DockerTestOptions = {},
): void {
  dockerTest(name, fn, { ...options, hostMissing: attackMissing });
}

let attack: Promise<string> | undefined;
let runtime: Promise<string> | undefined;

/** The attack image tag, built if missing or stale. */
export function attackImage(): Promise<string> {
  attack ??= buildAttackImage({ busyboxPath: BUSYBOX, cc: CC }).then(() => ATTACK_IMAGE);
  return attack;
}

/** The runtime image tag, built if missing or stale (needs only `ldd`, in every glibc system). */
export function runtimeImage(): Promise<string> {
  runtime ??= buildRuntimeImage().then(() => RUNTIME_IMAGE);
  return runtime;
}

/** A run id unique to this test. */
export function testRunId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}
