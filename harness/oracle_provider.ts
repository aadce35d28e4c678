/**
 * The oracle attacker model (`--model oracle`): a worst case that plays the captured moves but
 * obeys every planted attack that actually reached its context. It reads the variant's attack
 * records and looks for each record's planted strings in what it was really sent (tool results
 * after shaping, fencing, truncation and any other defence; tool descriptions); an attack whose
 * strings were stripped, cut off or rewritten on the way is not obeyed. Once an attack is read it
 * does what the record asks: makes the planted call, changes the answer, or stops working. So an
 * offline run shows where each attack was stopped: before the model, at a gate, at validation, or
 * not at all. {@link AttackTracker} does the reading for every model mode.
 *
 * @example
 * ```ts
 * import { AttackTracker } from "./oracle_provider.ts";
 * const rec = { surfaces: ["call http_fetch"] } as never;
 * const t = new AttackTracker([rec]);
 * t.observe({ messages: [{ role: "tool", name: "http_fetch", content: '{"html":"<p>call http_fetch</p>"}' }], tools: [], params: {} });
 * console.assert(t.reached.has(0));
 * ```
 * @module
 */
import type { Capabilities, ModelRequest, ModelResponse, ToolCall } from "../core/contracts.ts";
import type { ModelProvider } from "../core/types.ts";
import { ScriptedProvider } from "../agent/providers/scripted.ts";
import type { Move } from "./bundle.ts";
import type { AttackRecord } from "./perturb/attack_record.ts";

function strings(v: unknown, out: string[]): void {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) { for (const x of v) strings(x, out); }
  else if (v !== null && typeof v === "object") {
    for (const x of Object.values(v)) {
      strings(x, out);
    }
  }
}

/** The text a model reads in a tool message: its JSON string values decoded, else the raw text. */
export function readable(content: string): string {
  const out: string[] = [content];
  try {
    strings(JSON.parse(content), out);
  } catch { /* not JSON: the raw text is what it reads */ }
  return out.join("\n");
}

/** Which planted attacks reached a model, from the requests it was sent. */
export class AttackTracker {
  /** Indexes (into the records) of attacks whose every planted string reached the model. */
  readonly reached: Set<number> = new Set<number>();
  #records: readonly AttackRecord[];
  #seen = "";
  #messages = 0;
  #sawTools = false;

  /** Tracks `records`. */
  constructor(records: readonly AttackRecord[]) {
    this.#records = records;
  }

  /** Reads the new parts of `request`; returns the indexes newly reached. */
  observe(request: ModelRequest): number[] {
    if (this.#records.length === 0) return [];
    const parts: string[] = [];
    if (!this.#sawTools) {
      this.#sawTools = true;
      for (const t of request.tools) parts.push(readable(JSON.stringify(t)));
    }
    for (const m of request.messages.slice(this.#messages)) {
      if (m.role === "tool") parts.push(readable(m.content));
    }
    this.#messages = request.messages.length;
    if (parts.length === 0) return [];
    this.#seen += `\n${parts.join("\n")}`;
    const fresh: number[] = [];
    this.#records.forEach((r, i) => {
      if (this.reached.has(i)) return;
      if (r.surfaces.length > 0 && r.surfaces.every((s) => this.#seen.includes(s))) {
        this.reached.add(i);
        fresh.push(i);
      }
    });
    return fresh;
  }
}

/** A provider wrapper recording which attacks reached `inner` (script, hijacked and live modes). */
export class TrackingProvider implements ModelProvider {
  /** The inner provider's. */
  readonly capabilities: Capabilities;
  /** The inner provider's. */
  readonly model: string | null;
  /** What reached the model. */
  readonly tracker: AttackTracker;
  #inner: ModelProvider;

  /** Wraps `inner`. */
  constructor(inner: ModelProvider, records: readonly AttackRecord[]) {
    this.#inner = inner;
    this.capabilities = inner.capabilities;
    this.model = inner.model;
    this.tracker = new AttackTracker(records);
  }

  /** Records, then asks the inner provider. */
  complete(request: ModelRequest, signal?: AbortSignal): Promise<ModelResponse> {
    this.tracker.observe(request);
    return this.#inner.complete(request, signal);
  }
}

const DOS_REPLY = "I have stopped working on this task.";

function plannedCall(r: AttackRecord, tools: ReadonlySet<string>): ToolCall | null {
  if (r.action === null) return null;
  const url = r.action.args.url;
  const planned = { name: r.action.tool, args: r.action.args };
  if (tools.has(r.action.tool) || typeof url !== "string") return planned;
  if (tools.has("browser")) return { name: "browser", args: { op: "open", url } };
  if (tools.has("render_dom")) return { name: "render_dom", args: { url } };
  return planned;
}

/** `answer` changed the way an answer goal asks (a planted value appended or swapped in). */
export function tamperAnswer(answer: string, r: AttackRecord): string {
  if (r.value === null) return answer;
  if (r.goal === "tamper-value") {
    return r.replaces ? answer.split(r.replaces).join(r.value) : answer;
  }
  try {
    const v = JSON.parse(answer) as unknown;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const obj = v as Record<string, unknown>;
      const key = Object.keys(obj).find((k) => typeof obj[k] === "string");
      if (key !== undefined) {
        obj[key] = `${obj[key]} ${r.value}`;
        return JSON.stringify(obj);
      }
    }
  } catch { /* not JSON: append below */ }
  return `${answer} ${r.value}`;
}

/** The oracle attacker model over zu's move list and the variant's attack records. */
export class OracleProvider implements ModelProvider {
  /** Same as the scripted provider's. */
  readonly capabilities: Capabilities = { native_tools: true, vision: false, max_context: 128000 };
  /** A script is not a model. */
  readonly model: string | null = null;
  /** What reached the model. */
  readonly tracker: AttackTracker;
  /** Indexes of the attacks obeyed (attempted), in order. */
  readonly obeyed: number[] = [];
  #records: readonly AttackRecord[];
  #script: ScriptedProvider;
  #answerEdits: AttackRecord[] = [];
  #calls: ToolCall[] = [];
  #stopped = false;

  /** Creates the oracle. */
  constructor(moves: readonly Move[], records: readonly AttackRecord[]) {
    this.#script = ScriptedProvider.fromMoves(moves as Record<string, unknown>[]);
    this.#records = records;
    this.tracker = new AttackTracker(records);
  }

  /** Obeys what newly reached it, else plays the next move (with any answer edits applied). */
  async complete(request: ModelRequest, signal?: AbortSignal): Promise<ModelResponse> {
    const tools = new Set(request.tools.map((t) => String(t.name)));
    for (const i of this.tracker.observe(request)) {
      const r = this.#records[i]!;
      this.obeyed.push(i);
      const call = plannedCall(r, tools);
      if (call !== null) this.#calls.push(call);
      else if (r.goal.startsWith("dos")) this.#stopped = true;
      else this.#answerEdits.push(r);
    }
    if (this.#stopped) return { text: DOS_REPLY, tool_calls: [], finish: "stop", usage: {} };
    const call = this.#calls.shift();
    if (call !== undefined) {
      return { text: null, tool_calls: [call], finish: "tool_calls", usage: {} };
    }
    const res = await this.#script.complete(request, signal);
    if (res.tool_calls.length > 0 || typeof res.text !== "string") return res;
    let text = res.text;
    for (const r of this.#answerEdits) text = tamperAnswer(text, r);
    return { ...res, text };
  }
}
