/**
 * The sidecar's end of the clearance wire: a {@link ClearanceGate} that asks the host's desk
 * over a unix socket (`clearance_wire.ts`) and fails closed. A socket that cannot be reached, a
 * link that dies or breaks the protocol, and no answer within `timeoutMs` all answer deny
 * (`clearance_closed` or `clearance_timeout`) and never throw. A link that died is dialled again
 * for the next request only. The run id of a request is not sent: the host fixes it.
 *
 * @example
 * ```ts
 * import { remoteClearanceGate } from "./remote_gate.ts";
 * const gate = remoteClearanceGate("/nonexistent/clearance.sock", { timeoutMs: 1000 });
 * const a = await gate.request({ run_id: "x", host: "new.test", port: 443, scheme: "https" });
 * console.assert(a.decision === "deny" && a.reason === "clearance_closed");
 * gate.close();
 * ```
 * @module
 */
import {
  type ClearanceAnswer,
  type ClearanceDenyReason,
  type ClearanceGate,
  type ClearanceRequest,
  denyAnswer,
} from "./clearance_answer.ts";
import {
  encodeFrame,
  FrameReader,
  parseWireAnswer,
  parseWireRequest,
  type WireAnswer,
  type WireRequest,
} from "./clearance_wire.ts";

/** Options of {@link remoteClearanceGate}. */
export interface RemoteGateOptions {
  /** Longest wait for an answer (the host's hold plus a margin); then deny `clearance_timeout`. */
  timeoutMs: number;
  /** Dials the host (tests). Default `Deno.connect({transport: "unix", path})`. */
  connect?: () => Promise<Deno.Conn>;
}

/** A remote gate; `close()` denies everything in flight and every later request. */
export interface RemoteClearanceGate extends ClearanceGate {
  /** Requests waiting for an answer. */
  inFlight(): number;
  /** Tears the link down (in-flight requests: `clearance_closed`) and refuses later requests. */
  close(): void;
}

interface Link {
  conn: Deno.Conn;
  pending: Map<string, (a: ClearanceAnswer) => void>;
  issued: Set<string>;
  dead: boolean;
  writing: Promise<void>;
}

const MAX_ISSUED_MEMORY = 4096;

/** A gate asking the desk behind the unix socket at `path`. */
export function remoteClearanceGate(path: string, options: RemoteGateOptions): RemoteClearanceGate {
  const dial = options.connect ?? (() => Deno.connect({ transport: "unix", path }));
  let link: Link | null = null;
  let dialing: Promise<Link | null> | null = null;
  let closed = false;
  let counter = 0;

  const kill = (l: Link, message: string) => {
    if (l.dead) return;
    l.dead = true;
    if (link === l) link = null;
    try {
      l.conn.close();
    } catch {
      // already closed
    }
    for (const settle of [...l.pending.values()]) {
      settle(denyAnswer("clearance_closed", null, message));
    }
    l.pending.clear();
  };

  const readLoop = async (l: Link) => {
    const reader = new FrameReader();
    const buf = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        const n = await l.conn.read(buf);
        if (n === null) break;
        for (const body of reader.push(buf.subarray(0, n))) {
          const a = parseWireAnswer(body);
          if (!l.issued.has(a.id)) throw new Error(`an answer to "${a.id}", never asked`);
          l.pending.get(a.id)?.(answerOf(a));
        }
      }
      kill(l, "the clearance channel closed; denied");
    } catch {
      kill(l, "the clearance channel broke; denied");
    }
  };

  const getLink = (): Promise<Link | null> => {
    if (link !== null && !link.dead) return Promise.resolve(link);
    dialing ??= dial().then((conn) => {
      const l: Link = {
        conn,
        pending: new Map(),
        issued: new Set(),
        dead: false,
        writing: Promise.resolve(),
      };
      if (closed) {
        kill(l, "closed");
        return null;
      }
      link = l;
      void readLoop(l);
      return l;
    }, () => null).finally(() => dialing = null);
    return dialing;
  };

  const request = async (req: ClearanceRequest): Promise<ClearanceAnswer> => {
    if (closed) return denyAnswer("clearance_closed", null, "clearance is closed; denied");
    if (req.signal?.aborted) {
      return denyAnswer("clearance_aborted", null, "the request was dropped");
    }
    const wire: Omit<WireRequest, "id"> = {
      host: req.host,
      port: req.port,
      scheme: req.scheme === "http" ? "http" : "https",
      ...(req.sni !== undefined ? { sni: req.sni } : {}),
    };
    try {
      // What the host would refuse (and tear the link down for) is refused here instead.
      parseWireRequest(encodeFrame({ id: "r0", ...wire }).subarray(4));
    } catch {
      return denyAnswer("clearance_closed", null, "this request cannot be asked about; denied");
    }
    const l = await getLink();
    if (l === null) {
      return denyAnswer("clearance_closed", null, "the clearance channel is down; denied");
    }
    const id = `r${++counter}`;
    const frame = encodeFrame({ id, ...wire });
    l.issued.add(id);
    if (l.issued.size > MAX_ISSUED_MEMORY) l.issued.delete(l.issued.values().next().value!);
    return await new Promise<ClearanceAnswer>((resolve) => {
      const timer = setTimeout(
        () => settle(denyAnswer("clearance_timeout", null, "no clearance answer in time; denied")),
        options.timeoutMs,
      );
      const onAbort = () =>
        settle(denyAnswer("clearance_aborted", null, "the request was dropped while held"));
      const settle = (a: ClearanceAnswer) => {
        if (!l.pending.delete(id)) return;
        clearTimeout(timer);
        req.signal?.removeEventListener("abort", onAbort);
        resolve(a);
      };
      l.pending.set(id, settle);
      req.signal?.addEventListener("abort", onAbort, { once: true });
      if (l.dead) {
        settle(denyAnswer("clearance_closed", null, "the clearance channel closed; denied"));
      }
      l.writing = l.writing.then(async () => {
        if (l.dead) return;
        for (let off = 0; off < frame.length;) off += await l.conn.write(frame.subarray(off));
      }).catch(() => kill(l, "the clearance channel broke; denied"));
    });
  };

  return {
    request,
    inFlight: () => link?.pending.size ?? 0,
    close: () => {
      closed = true;
      if (link !== null) kill(link, "clearance is closed; denied");
    },
  };
}

function answerOf(a: WireAnswer): ClearanceAnswer {
  if (a.decision === "allow") {
    // The wire does not say whether the host held it; the proxy does not need to know.
    return { decision: "allow", request_id: a.request_id ?? null, held: false };
  }
  return denyAnswer(
    a.reason as ClearanceDenyReason,
    a.request_id ?? null,
    a.message ?? "denied by the clearance desk",
  );
}
