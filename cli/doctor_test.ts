import { equal, match, ok } from "node:assert/strict";
import { captureIo } from "./_io.ts";
import { main } from "./main.ts";

const SHOP = new URL("../fixtures/agents/shop-price", import.meta.url).pathname;

Deno.test("zu doctor reports Deno, Docker, keys (never their values) and the agent's flags", async () => {
  const dir = await Deno.makeTempDir({ prefix: "zu_doctor_" });
  try {
    const io = captureIo({
      cwd: dir,
      env: {
        DOCKER_HOST: `unix://${dir}/none.sock`,
        OPENAI_API_KEY: "sk-very-secret",
        ZU_FIXTURE_KEY: "44".repeat(32),
      },
    });
    equal(await main(["doctor", SHOP, "--json"], io), 0, io.stderrText());
    const out = JSON.parse(io.stdoutText());
    const by = (name: string) => out.checks.filter((c: { name: string }) => c.name === name);
    equal(by("deno")[0].status, "ok");
    equal(by("docker")[0].status, "warn");
    match(by("docker")[0].detail, /no Docker daemon/);
    ok(by("keys").some((c: { detail: string }) => /OPENAI_API_KEY set/.test(c.detail)));
    ok(!io.stdoutText().includes("sk-very-secret"), "a key value was printed");
    ok(out.permissions.flags.includes("--allow-net=shop.example:80,shop.example:443"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("zu explain-permissions prints the exact flags and a reason for each grant", async () => {
  const io = captureIo();
  equal(await main(["explain-permissions", SHOP, "--json"], io), 0, io.stderrText());
  const out = JSON.parse(io.stdoutText());
  ok(out.flags.includes("--no-prompt") && out.flags.includes("--cached-only"));
  ok(out.flags.includes("--allow-net=shop.example:80,shop.example:443"));
  ok(!out.flags.some((f: string) => /^--allow-(run|ffi|sys|all)|^-A$/.test(f)));
  ok(
    out.explain.some((e: { flag: string; value: string }) =>
      e.flag === "--allow-net" && e.value === "shop.example:443"
    ),
  );
  const off = captureIo();
  equal(await main(["explain-permissions", SHOP, "--mode", "offline"], off), 0);
  ok(!off.stdoutText().includes("--allow-net="));
  match(off.stdoutText(), /no network at all/);
});
