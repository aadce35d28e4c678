/**
 * A jailed child for the jail tests: one in-process tool that tries a thing (fetch a URL, spawn a
 * process, open a native library, send a UDP datagram, read a file), wrapped by `jailTool`, and the conversion
 * the loop performs (a `SecurityBlock` becomes `harness.defense.blocked` plus an observation).
 *
 * @module
 */
import { newEvent } from "../../../core/events.ts";
import { SecurityBlock } from "../../../core/errors.ts";
import { newTaskSpec } from "../../../core/contracts.ts";
import type { RunContext, Tool } from "../../../core/types.ts";
import { installDenialHandlers } from "../jail_child.ts";
import { jailTool } from "../jail_tool.ts";
import { writeJailLine } from "../protocol.ts";

const [kind = "", arg = ""] = Deno.args;
const spec = newTaskSpec({ query: "probe" });
let onDenial = (): void => {};
const denied = new Promise<void>((resolve) => (onDenial = resolve));
installDenialHandlers({ task_id: spec.task_id, trace_id: spec.task_id }, (event) => {
  writeJailLine({ zu_jail: "event", event });
  onDenial();
});

const probe: Tool = {
  name: `probe_${kind}`,
  schema: { name: `probe_${kind}`, description: "probe", parameters: {} },
  async call(_ctx, args) {
    const a = String(args.arg);
    if (kind === "fetch") {
      const r = await fetch(a);
      return { status: r.status, text: await r.text() };
    }
    if (kind === "fetch-swallow") {
      try {
        const r = await fetch(a);
        return { status: r.status, text: await r.text() };
      } catch (err) {
        return { error: `${(err as Error).name}: ${(err as Error).message}` };
      }
    }
    if (kind === "read") {
      return { text: await Deno.readTextFile(a) };
    }
    if (kind === "command") {
      const out = await new Deno.Command(a).output();
      return { code: out.code };
    }
    if (kind === "ffi") {
      Deno.dlopen(a, {});
      return { opened: true };
    }
    if (kind === "dgram") {
      const dgram = await import("node:dgram");
      const s = dgram.createSocket("udp4");
      s.send("x", 53, a, () => {});
      // The refusal arrives as an uncaught error, not through the callback: wait for the
      // global handler to report it (bounded, so a regression fails instead of hanging).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<void>((r) => (timer = setTimeout(r, 10_000)));
      await Promise.race([denied, bound]);
      clearTimeout(timer);
      s.close();
      return { sent: true };
    }
    return { error: `unknown probe "${kind}"` };
  },
};

const ctx: RunContext = {
  spec,
  observation: null,
  events: [],
  tainted: false,
  mode: "execute",
  quarantined: false,
  trace_id: spec.task_id,
};
const tool = jailTool(probe);
let observation: Record<string, unknown>;
try {
  observation = await tool.call(ctx, { arg });
} catch (err) {
  if (!(err instanceof SecurityBlock)) throw err;
  writeJailLine({
    zu_jail: "event",
    event: newEvent({
      task_id: spec.task_id,
      type: "harness.defense.blocked",
      source: "loop",
      payload: { kind: err.kind, tool: tool.name, target: err.target, detail: err.message },
    }),
  });
  observation = { error: `${err.name}: ${err.message}`, blocked: err.kind };
}
// A free-form answer (not one of the modes), as a raw protocol line.
console.log(JSON.stringify({ zu_jail: "result", result: { observation } }));
