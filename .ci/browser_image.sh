#!/bin/sh
# Builds zu-browser:<version> (Debian root + Chromium via debootstrap, cached under
# /var/cache/zu; then the Deno runtime layer). Measured here: cold 86-110 s (debootstrap +
# apt ~80-100 s, docker import ~6 s, layer ~3 s); runtime layer only ~4 s; up to date ~0.5 s.
# Also installs Debian's chromium on the host for the host-side renderer tests.
# Usage (from the repo root, as root): .ci/browser_image.sh [--force]
set -eu
cd "$(dirname "$0")/.."
need=""
command -v debootstrap >/dev/null 2>&1 || need="$need debootstrap"
[ -x /usr/bin/chromium ] || need="$need chromium"
if [ -n "$need" ]; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null
fi
DENO="${DENO:-deno}"
# playwright-core (pinned in deno.json) must be in node_modules: it is copied into the image.
$DENO install --quiet >/dev/null
FORCE=false
[ "${1:-}" = "--force" ] && FORCE=true
$DENO eval --quiet "
import { buildBrowserImage } from './backends/docker/browser_image.ts';
const t0 = performance.now();
const r = await buildBrowserImage({ force: $FORCE, onProgress: (l) => console.error('  ' + l) });
console.error(r.tag + ' ' + (r.built ? 'built' : 'up to date') + ' (' + r.hash.slice(0, 12) + ') in ' +
  ((performance.now() - t0) / 1000).toFixed(1) + ' s ' + JSON.stringify(r.timings));
"
