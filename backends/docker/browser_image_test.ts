import assert from "node:assert/strict";
import { dockerTest } from "../../testing/docker.ts";
import {
  BROWSER_IMAGE,
  BROWSER_PACKAGES,
  browserLayerContext,
  buildBrowserImage,
  debianSourcesFor,
  parseAptSources,
  playwrightVersion,
  readAptSources,
  rootfsKey,
} from "./browser_image.ts";

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main contrib

Types: deb
Enabled: no
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
`;

Deno.test("parseAptSources reads deb822 stanzas, skipping disabled ones", () => {
  const sources = parseAptSources(DEB822);
  assert.deepEqual(sources, [
    {
      uri: "http://mirror.example/debian",
      suites: ["bookworm", "bookworm-updates"],
      components: ["main"],
      signedBy: "/usr/share/keyrings/debian-archive-keyring.gpg",
    },
    {
      uri: "http://mirror.example/debian-security",
      suites: ["bookworm-security"],
      components: ["main", "contrib"],
    },
  ]);
});

Deno.test("parseAptSources reads one-line sources with options and comments", () => {
  const sources = parseAptSources(
    "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main non-free\n" +
      "deb-src http://m.example/debian bookworm main\ndeb http://m.example/extra stable main # trailing\n",
  );
  assert.deepEqual(sources, [
    {
      uri: "http://m.example/debian",
      suites: ["bookworm"],
      components: ["main", "non-free"],
      signedBy: "/k.gpg",
    },
    { uri: "http://m.example/extra", suites: ["stable"], components: ["main"] },
  ]);
});

Deno.test("debianSourcesFor keeps the suite's main sources and takes the mirror from the suite itself", () => {
  const found = debianSourcesFor(
    [
      ...parseAptSources(DEB822),
      {
        uri: "https://packages.cloud.example/apt",
        suites: ["cloud-sdk-bookworm"],
        components: ["main"],
      },
    ],
    "bookworm",
  );
  assert.equal(found.mirror, "http://mirror.example/debian");
  assert.deepEqual(found.sources.map((s) => s.uri), [
    "http://mirror.example/debian",
    "http://mirror.example/debian-security",
  ]);
  assert.equal(debianSourcesFor(parseAptSources(DEB822), "trixie").mirror, null);
});

Deno.test("The host's apt sources name a Debian mirror to debootstrap from", async () => {
  const found = debianSourcesFor(await readAptSources(), "bookworm");
  assert.match(found.mirror ?? "", /^https?:\/\//);
});

Deno.test("rootfsKey changes with the package list and the mirror but not the package order", () => {
  const base = { suite: "bookworm", mirror: "http://m/debian", sources: [], packages: ["a", "b"] };
  assert.equal(rootfsKey(base), rootfsKey({ ...base, packages: ["b", "a"] }));
  assert.notEqual(rootfsKey(base), rootfsKey({ ...base, packages: ["a", "b", "c"] }));
  assert.notEqual(rootfsKey(base), rootfsKey({ ...base, mirror: "http://other/debian" }));
  assert.ok(BROWSER_PACKAGES.includes("chromium"));
});

Deno.test("The browser layer ships Deno, the renderer, the session server and pinned playwright-core", async () => {
  const entries = await browserLayerContext({ baseTag: "zu-browser-base:abc", hash: "h1" });
  const paths = new Set(entries.map((e) => e.path));
  for (
    const p of [
      "rootfs/usr/local/bin/deno",
      "rootfs/usr/local/bin/zu-render",
      "rootfs/usr/local/bin/zu-browser",
      "rootfs/opt/zu-browser/render.ts",
      "rootfs/opt/zu-browser/session.ts",
      "rootfs/opt/zu-browser/actions.ts",
      "rootfs/opt/zu-browser/node_modules/playwright-core/package.json",
    ]
  ) assert.ok(paths.has(p), p);
  assert.ok(![...paths].some((p) => p.endsWith("_test.ts") || p.includes("testdata")));
  const docker = entries.find((e) => e.path === "Dockerfile");
  assert.ok(docker?.type === "file" && typeof docker.source !== "string");
  const text = new TextDecoder().decode(docker.source as Uint8Array);
  assert.match(text, /^FROM zu-browser-base:abc\n/);
  assert.match(text, /USER 10001:10001/);
  assert.match(text, /zu\.image\.hash=h1/);
  const pkg = entries.find((e) => e.path === "rootfs/opt/zu-browser/package.json");
  assert.ok(pkg?.type === "file");
  assert.equal(
    JSON.parse(new TextDecoder().decode(pkg.source as Uint8Array)).dependencies["playwright-core"],
    playwrightVersion(),
  );
});

dockerTest(
  "buildBrowserImage reuses the cached root filesystem and an up-to-date image",
  async () => {
    const docker = await (await import("./_client.ts")).createDockerClient(
      (await import("./_client.ts")).defaultSocketPath(),
    );
    let present = true;
    try {
      await docker.getImage(BROWSER_IMAGE).inspect();
    } catch {
      present = false;
    }
    if (!present && !Deno.env.get("ZU_REQUIRE_BROWSER")) {
      console.error(`skipped: "${BROWSER_IMAGE}" is not built (.ci/browser_image.sh builds it)`);
      return;
    }
    await buildBrowserImage({ docker });
    const again = await buildBrowserImage({ docker });
    assert.equal(again.built, false);
    assert.deepEqual(again.timings, { rootfsMs: 0, importMs: 0, layerMs: 0 });
    const info = await docker.getImage(BROWSER_IMAGE).inspect();
    assert.equal(info.Config?.Labels?.["zu.image.hash"], again.hash);
    assert.equal(info.Config?.User, "10001:10001");
  },
);
