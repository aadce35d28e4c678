// Builds the local images the Docker tests need (no pull). Used by .ci/run.
import {
  buildAttackImage,
  buildRuntimeImage,
  RUNTIME_IMAGE,
} from "../backends/docker/image_build.ts";
import { buildGitRuntimeImage, GIT_RUNTIME_IMAGE } from "../backends/docker/git_image.ts";

const log = (line: string) => console.error(`  ${line}`);
const started = performance.now();
for (const build of [buildRuntimeImage, buildAttackImage]) {
  const r = await build({ onProgress: log, force: Deno.args.includes("--force") });
  console.error(`${r.tag} ${r.built ? "built" : "up to date"} (${r.hash.slice(0, 12)})`);
}
// The git gate's shell sandboxes: the runtime image plus the host's git (docs/git-gate.md).
console.error(
  `${await buildGitRuntimeImage({ baseTag: RUNTIME_IMAGE, tag: GIT_RUNTIME_IMAGE })} ready`,
);
console.error(`images ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
