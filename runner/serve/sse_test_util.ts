// Test helper: reads server-sent events from a fetch response, frame by frame.

/** One parsed SSE frame. */
export interface ParsedFrame {
  id?: string;
  event?: string;
  data: string;
}

/** Parses `res.body` as SSE; stops when the stream ends or the consumer returns. */
export async function* readSse(res: Response): AsyncGenerator<ParsedFrame> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  try {
    while (true) {
      let cut = buf.indexOf("\n\n");
      while (cut < 0) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        cut = buf.indexOf("\n\n");
      }
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const frame: ParsedFrame = { data: "" };
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const at = line.indexOf(": ");
        const key = at < 0 ? line : line.slice(0, at);
        const value = at < 0 ? "" : line.slice(at + 2);
        if (key === "id") frame.id = value;
        else if (key === "event") frame.event = value;
        else if (key === "data") frame.data = value;
      }
      yield frame;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** Every frame until the stream ends (or `until` says stop, inclusive). */
export async function collectSse(
  res: Response,
  until: (f: ParsedFrame) => boolean = () => false,
): Promise<ParsedFrame[]> {
  const out: ParsedFrame[] = [];
  for await (const f of readSse(res)) {
    out.push(f);
    if (until(f)) break;
  }
  return out;
}
