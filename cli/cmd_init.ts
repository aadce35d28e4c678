/**
 * `zu init [dir]`: scaffold an agent (agent.yaml, the page it reads, a recorded capture so
 * replay and harden work offline at once, and a README). Refuses to overwrite without `--force`.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { bool, type CommandDef, printJson } from "./_command.ts";
import { resolvePath } from "./_event_log.ts";

const TARGET = "https://shop.example/item/42";

const PAGE = `<!doctype html>
<html lang="en">
<head><title>Trail Kettle 1.2 L - Shop Example</title></head>
<body>
  <nav><a href="/">Home</a> / <a href="/kettles">Kettles</a></nav>
  <main>
    <h1 class="product-title">Trail Kettle 1.2 L</h1>
    <p class="price">EUR 39.90</p>
    <p class="stock">In stock</p>
    <p>A light titanium kettle for the trail.</p>
  </main>
</body>
</html>
`;

function agentYaml(name: string): string {
  return `# ${name}: an agent scaffolded by "zu init". Edit the task, then:
#   zu replay ${name}     replay fixtures/capture.json offline ($0, no network)
#   zu harden ${name}     perturb the capture and replay every variant offline
#   zu run ${name}        live run in the Deno permission jail (needs OPENAI_API_KEY)
provider:
  name: openai-compatible
  model: gpt-4o-mini
  api_key_env: OPENAI_API_KEY
tiers:
  1:
  - http_fetch
plugins:
  detectors:
  - empty
  - error
  validators:
  - schema
  - grounding
budget:
  max_steps: 8
  max_tokens: 50000
  wall_time_s: 60
allowed_domains:
- shop.example
task:
  query: Find the product name and its price on the page. Return JSON {"name", "price"}.
  target: ${TARGET}
  max_tier: 1
  output_schema:
    type: object
    properties:
      name:
        type: string
      price:
        type: string
    required:
    - name
    - price
`;
}

function capture(): string {
  const bundle = {
    task: 'Find the product name and its price on the page. Return JSON {"name", "price"}.',
    model: "gpt-4o-mini",
    moves: [
      { tool: "http_fetch", args: { url: TARGET } },
      { text: JSON.stringify({ name: "Trail Kettle 1.2 L", price: "EUR 39.90" }), finish: "stop" },
    ],
    observations: { http_fetch: [{ status: 200, url: TARGET, html: PAGE }] },
  };
  return JSON.stringify(bundle, null, 2) + "\n";
}

function readme(name: string): string {
  return `# ${name}

An agent scaffolded by \`zu init\`.

- \`agent.yaml\`: the agent (provider, tools, checks, task).
- \`pages/item.html\`: the page the task reads (also recorded in the capture).
- \`fixtures/capture.json\`: a recorded run. Offline replay and harden use it; \`zu capture\`
  replaces it with a fresh live recording.

\`\`\`sh
zu replay ${name}                 # offline, no network, $0
zu harden ${name} --report report.html
zu explain-permissions ${name}    # what a live run would be allowed to do
zu run ${name}                    # live, in the permission jail (OPENAI_API_KEY)
\`\`\`
`;
}

/** `zu init`. */
export const initCommand: CommandDef = {
  name: "init",
  summary: "Scaffold an agent: agent.yaml, the page it reads, a capture and a README",
  positionals: [{
    name: "dir",
    description: "Directory to create the agent in (default: .)",
    optional: true,
  }],
  flags: {
    force: { type: "boolean", description: "Overwrite files that already exist" },
    json: { type: "boolean", description: "Print the written files as JSON" },
  },
  examples: ["zu init my-agent", "zu replay my-agent"],
  run: async (ctx) => {
    const dirArg = ctx.positionals[0] ?? ".";
    const dir = resolvePath(ctx.io.cwd, dirArg).replace(/\/+$/, "") || "/";
    const name = dir.slice(dir.lastIndexOf("/") + 1) || "agent";
    const files: [string, string][] = [
      ["agent.yaml", agentYaml(dirArg === "." ? "." : dirArg)],
      ["pages/item.html", PAGE],
      ["fixtures/capture.json", capture()],
      ["README.md", readme(name)],
    ];
    if (!bool(ctx, "force")) {
      const clash: string[] = [];
      for (const [rel] of files) {
        try {
          await Deno.lstat(`${dir}/${rel}`);
          clash.push(rel);
        } catch {
          // free
        }
      }
      if (clash.length) {
        throw new UserError(
          "init_exists",
          `Cannot scaffold "${dirArg}": ${
            clash.map((c) => `"${c}"`).join(", ")
          } already exist; pass --force to overwrite`,
        );
      }
    }
    for (const [rel, text] of files) {
      const path = `${dir}/${rel}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(path, text);
    }
    if (bool(ctx, "json")) {
      printJson(ctx.io, { dir, files: files.map(([rel]) => rel) });
    } else {
      ctx.io.stdout(`Scaffolded an agent in ${dirArg}:\n`);
      for (const [rel] of files) ctx.io.stdout(`  ${rel}\n`);
      ctx.io.stdout(`Next: zu replay ${dirArg}   then   zu harden ${dirArg}\n`);
    }
    return 0;
  },
};
