/**
 * Test helper: whether host Chromium is present; without it (and without `ZU_REQUIRE_BROWSER`)
 * tests that drive it are ignored with a printed reason.
 *
 * @module
 */

import { defaultChromium } from "./chromium.ts";

/** Host Chromium used by the tests (the real binary, not Debian's wrapper script). */
export const HOST_CHROMIUM: string = defaultChromium();

function hasChromium(): boolean {
  try {
    return Deno.statSync(HOST_CHROMIUM).isFile;
  } catch {
    return false;
  }
}

let warned = false;

/** `true` when browser tests must be ignored (no Chromium and `ZU_REQUIRE_BROWSER` unset). */
export function ignoreWithoutChromium(): boolean {
  if (hasChromium()) return false;
  if (Deno.env.get("ZU_REQUIRE_BROWSER")) return false;
  if (!warned) {
    warned = true;
    console.error(
      `browser tests ignored: "${HOST_CHROMIUM}" is missing (apt-get install chromium)`,
    );
  }
  return true;
}
