/**
 * Builds a receive-pack `report-status` answer for a push the gate refused before git ran, so the
 * pusher's `git push` prints each ref's reason (`! [remote rejected] x (reason)`).
 *
 * @module
 */

const enc = new TextEncoder();

function pkt(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 4);
  out.set(enc.encode((payload.length + 4).toString(16).padStart(4, "0")));
  out.set(payload, 4);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The report for `refs` (each with its reason), in side-band framing when the client asked for it. */
export function refusalReport(
  refs: ReadonlyArray<{ ref: string; reason: string }>,
  capabilities: readonly string[],
  message: string,
): Uint8Array {
  const clean = (s: string) => s.replace(/[\r\n\0]/g, " ").slice(0, 300);
  const inner = concat([
    pkt(enc.encode("unpack ok\n")),
    ...refs.map((r) => pkt(enc.encode(`ng ${r.ref} ${clean(r.reason)}\n`))),
    enc.encode("0000"),
  ]);
  const band = capabilities.includes("side-band-64k")
    ? 65515
    : capabilities.includes("side-band")
    ? 995
    : 0;
  if (band === 0) return inner;
  const parts: Uint8Array[] = [
    pkt(concat([new Uint8Array([2]), enc.encode(`${clean(message)}\n`)])),
  ];
  for (let i = 0; i < inner.length; i += band) {
    parts.push(pkt(concat([new Uint8Array([1]), inner.subarray(i, i + band)])));
  }
  parts.push(enc.encode("0000"));
  return concat(parts);
}
