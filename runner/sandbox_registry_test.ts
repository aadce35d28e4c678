import { equal, ok, rejects, throws } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { UserError } from "../core/errors.ts";
import {
  isDefaultSandboxBackend,
  openSandboxBackend,
  registerSandboxBackend,
  sandboxBackendNames,
} from "./sandbox_registry.ts";
import { FakeSandboxBackend } from "../testing/fake_sandbox_backend.ts";

const FAKE = fileURLToPath(new URL("../testing/fake_sandbox_backend.ts", import.meta.url));
const ctx = (agentDir: string) => ({ agentDir, env: () => undefined, prices: null });

Deno.test("a module export may be a class, a factory or an object; a failing one is one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_backend_reg_" });
  try {
    await Deno.writeTextFile(
      `${dir}/b.ts`,
      `import { FakeSandboxBackend } from ${JSON.stringify(FAKE)};
export class AsClass extends FakeSandboxBackend { constructor(ctx: { agentDir: string }) { super(); this.dir = ctx.agentDir; } dir: string; }
export const asFactory = async () => new FakeSandboxBackend();
export const asObject = new FakeSandboxBackend();
export function throws() { throw new Error("no engine here\\nsecond line"); }
`,
    );
    const cls = await openSandboxBackend("./b.ts#AsClass", ctx(dir));
    equal((cls as unknown as { dir: string }).dir, dir, "a class is built with the context");
    ok(await openSandboxBackend("./b.ts#asFactory", ctx(dir)) instanceof FakeSandboxBackend);
    ok(await openSandboxBackend("./b.ts#asObject", ctx(dir)) instanceof FakeSandboxBackend);
    await rejects(openSandboxBackend("./b.ts#throws", ctx(dir)), (e: unknown) => {
      ok(e instanceof UserError && e.code === "backend_invalid", String(e));
      equal(
        e.message,
        `Cannot use sandbox backend "./b.ts#throws": it failed to open: no engine here`,
      );
      return true;
    });
    await rejects(
      openSandboxBackend("./missing.ts#x", ctx(dir)),
      /module "\.\/missing\.ts" does not exist/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registerSandboxBackend adds a name; a taken name throws", async () => {
  registerSandboxBackend("fake-for-test", () => new FakeSandboxBackend());
  ok(sandboxBackendNames().includes("fake-for-test"));
  ok(await openSandboxBackend("fake-for-test", ctx(".")) instanceof FakeSandboxBackend);
  throws(() => registerSandboxBackend("local-docker", () => new FakeSandboxBackend()), TypeError);
  ok(isDefaultSandboxBackend(null) && isDefaultSandboxBackend("local-docker"));
  ok(!isDefaultSandboxBackend("./x.ts#y"));
});
