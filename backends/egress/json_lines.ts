/**
 * Splitting a byte stream into JSON-object lines (private).
 * @module
 */

/**
 * Reads `stream` to its end and calls `onLine` with every line that parses as a JSON object;
 * other lines go to `onOther` (if given). Lines longer than `maxLine` bytes are dropped.
 */
export async function readJsonLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: Record<string, unknown>) => void,
  options: { onOther?: (text: string) => void; maxLine?: number } = {},
): Promise<void> {
  const maxLine = options.maxLine ?? 4 * 1024 * 1024;
  const decoder = new TextDecoder();
  let pending = "";
  const emit = (text: string) => {
    const t = text.replace(/\r$/, "");
    if (t.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch {
      options.onOther?.(t);
      return;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      onLine(value as Record<string, unknown>);
    } else options.onOther?.(t);
  };
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      emit(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
    if (pending.length > maxLine) pending = "";
  }
  pending += decoder.decode();
  if (pending !== "") emit(pending);
}
