/**
 * In-memory fakes for the sandbox port and the browser tools' egress seam: a
 * {@linkcode FakeSandboxBackend} that records every launch, exec, session command and destroy
 * and answers from callbacks, and a {@linkcode FakeBrowserEgress} whose leases report scripted
 * proxy decisions.
 *
 * @example
 * ```ts
 * import { FakeSandboxBackend } from "./fake_sandbox_backend.ts";
 * const backend = new FakeSandboxBackend({
 *   onExec: () => ({ exitCode: 0, stdout: '{"status":200,"html":"<p>hi</p>"}', stderr: "" }),
 * });
 * const handle = await backend.launch({ image: "zu-browser:0.1.0" });
 * const r = await backend.execEntrypoint(handle, ["zu-render", "https://a.test/"]);
 * await backend.destroy(handle);
 * console.assert(r.exitCode === 0 && backend.live() === 0);
 * ```
 * @module
 */
import type { ToolCall } from "../core/contracts.ts";
import type {
  BrowserEgress,
  EgressLease,
  EgressRequest,
  ExecOptions,
  ExecResult,
  SandboxBackend,
  SandboxHandle,
  SandboxSpec,
  SessionHandle,
} from "../core/types.ts";

/** A scripted exec answer (missing fields default to success with empty output). */
export type FakeExecAnswer = Partial<ExecResult>;

/** Options of {@linkcode FakeSandboxBackend}. */
export interface FakeSandboxBackendOptions {
  /** Answers `execEntrypoint` (and `exec`). Default: exit 0, empty output. */
  onExec?: (
    cmd: string[],
    spec: SandboxSpec,
    options: ExecOptions | undefined,
  ) => FakeExecAnswer | Promise<FakeExecAnswer>;
  /** Answers each session command. Default `{ok:true}`; `close` always answers `{closed:true}`. */
  onSession?: (
    command: Record<string, unknown>,
    spec: SandboxSpec,
  ) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Makes `launch` fail with this error. */
  launchError?: Error;
  /** Whether `openSession` exists. Default true. */
  sessions?: boolean;
}

/** One recorded session. */
export interface FakeSessionRecord {
  /** The spec it was opened with. */
  spec: SandboxSpec;
  /** Commands sent, in order. */
  commands: Record<string, unknown>[];
  /** Whether it was closed. */
  closed: boolean;
}

/** A recording `SandboxBackend` for unit tests. */
export class FakeSandboxBackend implements SandboxBackend {
  /** Specs launched, in order (sessions included). */
  readonly launched: SandboxSpec[] = [];
  /** Ids destroyed, in order. */
  readonly destroyed: string[] = [];
  /** Commands executed. */
  readonly execs: { id: string; cmd: string[]; options?: ExecOptions }[] = [];
  /** Sessions opened. */
  readonly sessions: FakeSessionRecord[] = [];
  /** Present unless `sessions: false`. */
  readonly openSession?: (spec: SandboxSpec) => Promise<SessionHandle>;
  #options: FakeSandboxBackendOptions;
  #specs = new Map<string, SandboxSpec>();
  #next = 0;

  /** Creates the fake. */
  constructor(options: FakeSandboxBackendOptions = {}) {
    this.#options = options;
    if (options.sessions !== false) this.openSession = (spec) => this.#openSession(spec);
  }

  /** Sandboxes launched and not destroyed (sessions count until closed). */
  live(): number {
    return this.#specs.size;
  }

  /** Records the spec and returns a handle. */
  launch(spec: SandboxSpec): Promise<SandboxHandle> {
    if (this.#options.launchError) return Promise.reject(this.#options.launchError);
    const id = `fake-${++this.#next}`;
    this.launched.push(structuredClone(spec));
    this.#specs.set(id, spec);
    return Promise.resolve({ id, name: `zu-${id}`, runId: spec.runId ?? "" });
  }

  /** Runs `call` as `[call.name, JSON args]` and parses stdout as the observation. */
  async exec(
    handle: SandboxHandle,
    call: ToolCall,
    options?: ExecOptions,
  ): Promise<Record<string, unknown>> {
    const r = await this.execEntrypoint(handle, [call.name, JSON.stringify(call.args)], options);
    return JSON.parse(r.stdout || "{}");
  }

  /** Answers from `onExec`. */
  async execEntrypoint(
    handle: SandboxHandle,
    cmd: string[],
    options?: ExecOptions,
  ): Promise<ExecResult> {
    const spec = this.#specs.get(handle.id);
    if (!spec) throw new Error(`Cannot exec in sandbox "${handle.id}": it is not running`);
    this.execs.push({ id: handle.id, cmd: [...cmd], ...(options ? { options } : {}) });
    const a = (await this.#options.onExec?.(cmd, spec, options)) ?? {};
    return {
      exitCode: a.exitCode ?? 0,
      stdout: a.stdout ?? "",
      stderr: a.stderr ?? "",
      timedOut: a.timedOut ?? false,
      truncated: a.truncated ?? false,
      durationMs: a.durationMs ?? 1,
    };
  }

  /** Forgets the sandbox. Idempotent. */
  destroy(handle: SandboxHandle): Promise<void> {
    if (this.#specs.delete(handle.id)) this.destroyed.push(handle.id);
    return Promise.resolve();
  }

  async #openSession(spec: SandboxSpec): Promise<SessionHandle> {
    const handle = await this.launch(spec);
    const record: FakeSessionRecord = { spec: structuredClone(spec), commands: [], closed: false };
    this.sessions.push(record);
    const onSession = this.#options.onSession;
    const close = async () => {
      if (record.closed) return;
      record.closed = true;
      await this.destroy(handle);
    };
    return {
      send: async (command) => {
        if (record.closed) return { error: "session closed or no response" };
        record.commands.push(structuredClone(command));
        if (command["op"] === "close") {
          await close();
          return { closed: true };
        }
        return (await onSession?.(command, spec)) ?? { ok: true };
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  }

  /** Destroys everything still live. */
  async [Symbol.asyncDispose](): Promise<void> {
    for (const id of [...this.#specs.keys()]) await this.destroy({ id, name: id, runId: "" });
  }
}

/** One lease the fake egress handed out. */
export interface FakeLeaseRecord {
  /** What was requested. */
  request: EgressRequest;
  /** Whether it was closed. */
  closed: boolean;
  /** Decisions the lease reports (push to script refusals). */
  decisions: Record<string, unknown>[];
}

/** A recording {@linkcode BrowserEgress}: leases with a fixed proxy and scriptable decisions. */
export class FakeBrowserEgress implements BrowserEgress {
  /** Leases handed out, in order. */
  readonly leases: FakeLeaseRecord[] = [];
  #decide: ((request: EgressRequest) => Record<string, unknown>[]) | undefined;

  /** `decide` gives each new lease its initial decisions. */
  constructor(options: { decide?: (request: EgressRequest) => Record<string, unknown>[] } = {}) {
    this.#decide = options.decide;
  }

  /** Leases still open. */
  open(request: EgressRequest): Promise<EgressLease> {
    const record: FakeLeaseRecord = {
      request: { host: request.host, addresses: [...request.addresses], runId: request.runId },
      closed: false,
      decisions: this.#decide?.(request) ?? [],
    };
    this.leases.push(record);
    const close = () => {
      record.closed = true;
      return Promise.resolve();
    };
    return Promise.resolve({
      proxy: "http://zu-proxy:8080",
      networkName: `zu-net-${this.leases.length}`,
      extraHosts: { "zu-proxy": "10.99.0.2" },
      decisions: () => Promise.resolve([...record.decisions]),
      close,
      [Symbol.asyncDispose]: close,
    });
  }

  /** Leases not closed yet. */
  live(): number {
    return this.leases.filter((l) => !l.closed).length;
  }
}
