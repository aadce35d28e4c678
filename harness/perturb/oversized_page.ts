/**
 * `oversized-page`: the first page is padded with filler (default 256 KiB, under the loop's 1 MB
 * cap). Must pass: the values are still there and nothing crashes.
 *
 * @module
 */
import { cloneBundle } from "../bundle.ts";
import { groundedValues } from "../grounded.ts";
import { CONTENT_FIELDS } from "./_map.ts";
import type { Perturbation, PerturbTarget } from "./types.ts";

const WORDS = ["lorem", "ipsum", "dolor", "amet", "consectetur", "adipiscing", "elit", "sed"];

/** Appends about `bytes` (`oversized-page:<bytes>`) of filler paragraphs to one page. */
export function oversizedPage(param?: string, target?: PerturbTarget): Perturbation {
  const bytes = param === undefined ? 256 * 1024 : Number(param);
  if (!Number.isInteger(bytes) || bytes < 1) {
    throw new TypeError(`Cannot make "oversized-page": "${param}" is not a byte count`);
  }
  return {
    name: param === undefined ? "oversized-page" : `oversized-page:${bytes}`,
    kind: "drift",
    expect: "pass",
    ...(target ? { target } : {}),
    description: `one page padded with ${bytes} bytes of filler`,
    apply: (b, rng) => {
      const out = cloneBundle(b);
      const values = groundedValues(b).map((v) => v.toLowerCase());
      const words = WORDS.filter((w) => !values.some((v) => w.includes(v) || v === w));
      const pool = words.length > 0 ? words : ["zzz"];
      const para: string[] = [];
      for (let i = 0; i < 40; i++) para.push(pool[rng.int(pool.length)]!);
      const chunk = `<p class="filler">${para.join(" ")}</p>\n`;
      const filler = chunk.repeat(Math.ceil(bytes / chunk.length));
      for (const [tool, list] of Object.entries(out.observations)) {
        if (target?.tool !== undefined && target.tool !== tool) continue;
        const raw = target?.index ?? 0;
        const obs = list[raw < 0 ? list.length + raw : raw];
        if (obs === undefined) continue;
        const f = CONTENT_FIELDS.find((x) => typeof obs[x] === "string");
        if (f === undefined) continue;
        obs[f] = `${obs[f] as string}\n${filler}`;
        return out;
      }
      return out;
    },
  };
}
