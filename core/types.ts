/**
 * Every port of zu in one place. Adapters declare themselves against these interfaces so the
 * compiler checks them; optional capabilities are optional methods.
 *
 * @example
 * ```ts
 * import type { EventSink } from "./types.ts";
 * function countAll(sink: EventSink): Promise<number> { return sink.count({}); }
 * ```
 * @module
 */
import type { Event } from "./events.ts";
import type {
  Capabilities,
  Message,
  ModelRequest,
  ModelResponse,
  Result,
  TaskSpec,
  ToolCall,
  Verdict,
} from "./contracts.ts";

// ------------------------------------------------------------------ event log

/**
 * A filter over events: keys from the allowlist (`event_id, trace_id, task_id, parent_id, type,
 * source`) or a registered ctx field; `null` means IS NULL. Any other key is a `TypeError`.
 */
export type EventFilter = Readonly<Record<string, string | null>>;

/** Options of {@link EventSink.query}. */
export interface QueryOptions {
  /** At most this many events (applied after filtering). */
  limit?: number;
  /** Only events with `seq` greater than this (exclusive). Default 0. */
  afterSeq?: number;
}

/** Options of {@link EventSink.stream}. */
export interface StreamOptions {
  /** Rows per page. Default 500. */
  batchSize?: number;
  /** Start after this seq. Default 0. */
  afterSeq?: number;
  /** Stops the stream between pages. */
  signal?: AbortSignal;
}

/** An event together with its sink-side ordinal. */
export interface StoredEvent {
  /** 1-based position in the sink. */
  seq: number;
  /** The event. */
  event: Event;
}

/**
 * Where events are stored. A canonical sink links events into their trace's hash chain and
 * returns the linked copy from `append`; a trace sink (JSONL) may return it unchanged.
 */
export interface EventSink extends AsyncDisposable {
  /** Stores `event` (idempotent on `event_id`) and resolves once it is durable. */
  append(event: Event): Promise<Event>;
  /** Events matching `filter`, in seq order. */
  query(filter?: EventFilter, options?: QueryOptions): Promise<Event[]>;
  /** Events matching `filter`, page by page (keyset on seq). */
  stream(filter?: EventFilter, options?: StreamOptions): AsyncIterable<Event>;
  /** Number of events matching `filter`. */
  count(filter?: EventFilter): Promise<number>;
  /** Releases resources. Idempotent. */
  close(): Promise<void>;
  /** Like `query` but with each event's seq. */
  queryWithSeq?(filter?: EventFilter, options?: QueryOptions): Promise<StoredEvent[]>;
}

/** Encrypts or encodes a stored event body. The blob is one version byte + body. */
export interface PayloadCodec {
  /** The version byte (0 identity, 1 AES-GCM, 2 managed AES-GCM). */
  readonly version: number;
  /** Plain text + AAD -> body (without the version byte). */
  encodeBody(plaintext: string, aad: Uint8Array): Promise<Uint8Array>;
  /** Body (without the version byte) + AAD -> plain text. */
  decodeBody(body: Uint8Array, aad: Uint8Array): Promise<string>;
}

/** Supplies keys by id (the seam for a KMS). */
export interface KeyProvider {
  /** The id new blobs are written under. */
  currentKeyId(): string;
  /** The 32-byte key for `id`; throws when unknown. */
  key(id: string): Uint8Array;
}

/**
 * One event sink block of an agent file (`event_sink`, or an entry of `trace_sinks`), as zu
 * writes it: `{driver, path?, encryption, options{}}`. Which drivers, options and encryption
 * modes exist is known only to the sink driver registry (`sinks/registry.ts`).
 */
export interface EventSinkConfig {
  /** A registered driver name (the registry's `names()`). */
  driver: string;
  /** File path, relative to the agent directory; null for the driver's default. */
  path: string | null;
  /** Encryption at rest of new rows; `none` unless the driver supports a codec. */
  encryption: string;
  /** Driver options (`sign_key_env`, `filter_fields`, ...). */
  options: Record<string, unknown>;
}

/** The role of a sink block: the canonical store, or a secondary trace sink. */
export type SinkRole = "event_sink" | "trace_sink";

/** A problem with a sink block: the key inside the block (`options.max_batch`) and why. */
export interface SinkConfigProblem {
  /** Key path inside the block, e.g. `driver` or `options.sign_key_env`. */
  key: string;
  /** What is wrong, e.g. `must be a whole number >= 1, got "0"`. */
  message: string;
}

/**
 * What a configuration parser may ask about sink drivers without loading one. The driver
 * registry in `sinks/` implements it; the composition root hands it to `loadAgentConfig`, so
 * `agent/` never imports `sinks/` and no parser hard-codes a driver name.
 */
export interface SinkDriverCatalog {
  /** Registered driver names, sorted. */
  names(): string[];
  /** The first problem of `block` in `role`, or null when every key takes effect. */
  check(block: EventSinkConfig, role: SinkRole): SinkConfigProblem | null;
}

// ------------------------------------------------------------------ seams

/** Time seam. */
export interface Clock {
  /** Wall-clock now. */
  now(): Date;
  /** Monotonic milliseconds. */
  monotonic(): number;
}

/** Id seam. */
export interface IdSource {
  /** A fresh lowercase uuid4. */
  uuid(): string;
}

/** Environment seam: reads one variable; `undefined` when unset or not permitted. */
export type EnvReader = (name: string) => string | undefined;

/** Sleep seam: waits `ms` milliseconds (tests pass one that does not wait). */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

// ------------------------------------------------------------------ model side

/** A chat model. */
export interface ModelProvider {
  /** What it can do. */
  readonly capabilities: Capabilities;
  /** The model id, or null (scripted). */
  readonly model: string | null;
  /** One completion. */
  complete(request: ModelRequest, signal?: AbortSignal): Promise<ModelResponse>;
}

/**
 * Where a provider talks to by default, declared with its builder in the provider registry: the
 * permission jail grants exactly this host and key variable, never a guess from the name.
 */
export interface ProviderEndpoint {
  /** Default base URL (`https://api.anthropic.com`), or null for a provider that makes no call. */
  readonly baseUrl: string | null;
  /** Env variable holding the API key by default (`ANTHROPIC_API_KEY`), or null for none. */
  readonly apiKeyEnv: string | null;
  /** Env variable that overrides the base URL by default (`ANTHROPIC_BASE_URL`), or null. */
  readonly baseUrlEnv: string | null;
  /**
   * The request header that carries the key (`authorization` sends `Bearer <key>`, `x-api-key`
   * sends the key as is), so the model broker can strip the client's and add the real one.
   * Absent means `authorization`.
   */
  readonly authHeader?: "authorization" | "x-api-key";
}

/** The read-only view of a run handed to plugins. */
export interface RunContext {
  /** The task. */
  readonly spec: TaskSpec;
  /** The observation being inspected (per-observation checks), else null. */
  readonly observation: Record<string, unknown> | null;
  /** Events visible to the check (the turn, or the whole run). */
  readonly events: readonly Event[];
  /** The run is tainted. */
  readonly tainted: boolean;
  /** execute or explore. */
  readonly mode: "execute" | "explore";
  /** Quarantined run. */
  readonly quarantined: boolean;
  /** The current call, for gates and tools. */
  readonly invocation?: ToolCall | null;
  /** The current call's idempotency key. */
  readonly idempotency_key?: string | null;
  /** The run's trace id. */
  readonly trace_id?: string;
  /** Cancels the current tool call. */
  readonly signal?: AbortSignal;
}

/** A tool the model may call. */
export interface Tool {
  /** Registry name, as the model sees it. */
  readonly name: string;
  /** `{name, description, parameters}` (OpenAI style). */
  readonly schema: { name: string; description: string; parameters: Record<string, unknown> };
  /** One line appended to the system prompt. */
  readonly prompt_fragment?: string;
  /** 1 = cheap HTTP, 2 = browser in a sandbox. Default 1. */
  tier?: number;
  /** Capability tokens (`net`, `sandbox`, ...). */
  readonly capabilities?: ReadonlySet<string>;
  /** Hosts it may reach (`*` = anywhere). */
  readonly egress?: ReadonlySet<string>;
  /** Its content is untrusted (fenced for the model). */
  readonly untrusted?: boolean;
  /** Runs the tool; returns the observation. */
  call(ctx: RunContext, args: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** When a detector runs. */
export type DetectorScope = "per_observation" | "per_turn" | "on_final";

/** Inspects observations or turns. */
export interface Detector {
  /** Registry name. */
  readonly name: string;
  /** When it runs. */
  readonly scope: DetectorScope;
  /** Returns a verdict, or null when fine. */
  inspect(ctx: RunContext): Verdict | null | Promise<Verdict | null>;
}

/** Checks a final answer. */
export interface Validator {
  /** Registry name. */
  readonly name: string;
  /** Returns a verdict, or null when fine. */
  check(value: Record<string, unknown>, ctx: RunContext): Verdict | null | Promise<Verdict | null>;
}

/** Decides whether a call may run. */
export interface InvocationGate {
  /** Registry name. */
  readonly name: string;
  /** A crash denies instead of being skipped. */
  readonly fail_closed_on_crash?: boolean;
  /** Returns a verdict (deny/escalate), or null to allow. */
  check(call: ToolCall, ctx: RunContext): Verdict | null | Promise<Verdict | null>;
}

/** Used by the harness to turn a bundle into a provider. */
export type ProviderFactory = (messages: Message[]) => ModelProvider;

/** Everything `runTask` needs besides the spec (filled by `assembleRun`). */
export interface RunPlugins {
  /** Tools by name. */
  tools: Map<string, Tool>;
  /** Detectors by name. */
  detectors: Map<string, Detector>;
  /** Validators by name. */
  validators: Map<string, Validator>;
  /** Gates by name. */
  gates: Map<string, InvocationGate>;
}

/** A finished run. */
export interface RunOutcome {
  /** The result. */
  result: Result;
  /** The events, in order. */
  events: Event[];
}

// ------------------------------------------------------------------ sandboxes

/** Network posture of a sandbox. */
export type SandboxNetwork = "none" | "isolated" | "unrestricted";

/**
 * What to launch. No field can loosen the hardening floor: limits are clamped, and an unknown
 * key or anything else that would loosen it is refused (`backends/docker/sandbox_floor.ts`).
 */
export interface SandboxSpec {
  /** Image reference (must pass the image policy). */
  image: string;
  /** Default `none`. `unrestricted` needs `allowUnrestrictedEgress`. */
  network?: SandboxNetwork;
  /** Internal network name for `isolated`. */
  networkName?: string;
  /** Explicit opt-in for `unrestricted`. */
  allowUnrestrictedEgress?: boolean;
  /** Egress allowlist (hosts) handed to the proxy. */
  allowlist?: string[];
  /** Proxy URL (`http://host:port`) to set as HTTP(S)_PROXY. */
  proxy?: string;
  /** Environment for the container. */
  env?: Record<string, string>;
  /** Command (entrypoint args). */
  cmd?: string[];
  /** `/etc/hosts` pins. */
  extraHosts?: Record<string, string>;
  /** Memory in bytes (capped at 1 GiB). */
  memoryBytes?: number;
  /** Pids (capped at 256). */
  pidsLimit?: number;
  /** CPUs (fractional). */
  cpus?: number;
  /** The run (trace) id for labels. */
  runId?: string;
  /** Working directory. */
  workdir?: string;
  /** A shipped seccomp profile by name (`default` or `block`); never a path, JSON or `unconfined`. */
  seccomp?: string;
}

/** A launched sandbox. */
export interface SandboxHandle {
  /** Container id. */
  readonly id: string;
  /** Container name. */
  readonly name: string;
  /** Run label. */
  readonly runId: string;
}

/** The result of one exec. */
export interface ExecResult {
  /** Process exit code (137 when killed). */
  exitCode: number;
  /** Captured stdout (capped). */
  stdout: string;
  /** Captured stderr (capped). */
  stderr: string;
  /** Killed at its timeout. */
  timedOut: boolean;
  /** Output was cut at the cap. */
  truncated: boolean;
  /** Elapsed milliseconds. */
  durationMs: number;
}

/** Options of one exec. */
export interface ExecOptions {
  /** Kill after this many ms. */
  timeoutMs?: number;
  /** Cap each stream at this many bytes. */
  maxOutputBytes?: number;
  /** Bytes written to stdin. */
  stdin?: Uint8Array | string;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Cancels the exec. */
  signal?: AbortSignal;
}

/** A live browser session (zu's JSON-lines protocol). */
export interface SessionHandle extends AsyncDisposable {
  /** Sends a command, returns its reply. */
  send(command: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Closes the session. */
  close(): Promise<void>;
}

/** Runs tools or agents in isolation. */
export interface SandboxBackend extends AsyncDisposable {
  /** Creates and starts a hardened sandbox. */
  launch(spec: SandboxSpec): Promise<SandboxHandle>;
  /** Runs a tool call in the sandbox (JSON in, observation out). */
  exec(
    handle: SandboxHandle,
    call: ToolCall,
    options?: ExecOptions,
  ): Promise<Record<string, unknown>>;
  /** Runs a command in the sandbox. */
  execEntrypoint(handle: SandboxHandle, cmd: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Removes the sandbox. Idempotent. */
  destroy(handle: SandboxHandle): Promise<void>;
  /** Opens a long-lived session (browser). */
  openSession?(spec: SandboxSpec): Promise<SessionHandle>;
  /** Saves the sandbox's filesystem as an image reference. */
  snapshot?(handle: SandboxHandle): Promise<string>;
  /** Launches from a snapshot. */
  restore?(snapshot: string, spec: SandboxSpec): Promise<SandboxHandle>;
  /**
   * What a sandbox of `spec` would cost for `durationS` seconds under the backend's price table
   * (`core/sandbox_prices.ts`), or null when it has none.
   */
  estimateCost?(spec: SandboxSpec, durationS: number): Promise<SandboxCost | null>;
  /**
   * What a live sandbox used so far (CPU time, memory, wall time) and what that cost, or null
   * when the backend has no price table. Call it before `teardown`/`destroy`.
   */
  meterActual?(handle: SandboxHandle): Promise<SandboxCost | null>;
}

// ------------------------------------------------------------------ browser egress

/** What a browser sandbox's egress proxy lets through. */
export interface EgressRequest {
  /** The target host (lower case). */
  host: string;
  /** The addresses the SSRF guard checked (the proxy dials only these). */
  addresses: string[];
  /** The target port when it is not 80 or 443 (a bare host covers only those two). */
  port?: number;
  /** The run (trace) id, for labels. */
  runId: string;
  /** Cancels the setup. */
  signal?: AbortSignal;
}

/** A proxy in place for one browser sandbox. */
export interface EgressLease extends AsyncDisposable {
  /** Proxy URL as the sandbox reaches it (`http://host:port`). */
  readonly proxy: string;
  /** Internal network the sandbox joins (`isolated`). */
  readonly networkName: string;
  /** `/etc/hosts` pins the sandbox needs besides the target (e.g. the proxy's name). */
  readonly extraHosts?: Readonly<Record<string, string>>;
  /** The proxy's decisions so far (`{host, port, allowed, reason, ...}`). */
  decisions(): Promise<readonly Record<string, unknown>[]>;
  /** Tears the proxy down. Idempotent. */
  close(): Promise<void>;
}

/**
 * The egress seam of the tier-2 tools (`render_dom`, `browser`): puts an egress proxy in front of
 * one sandbox that lets exactly the checked target through and reports its decisions.
 */
export interface BrowserEgress {
  /** Starts a proxy that allows exactly `request.host`. */
  open(request: EgressRequest): Promise<EgressLease>;
}

// ------------------------------------------------------------------ agent launcher

/** One contained run: a command in a hardened container whose only way out is an egress proxy. */
export interface LaunchRequest {
  /** The in-container argv (e.g. `deno run <jail flags> runner/jail/jail_entry.ts ...`). */
  command: string[];
  /** The agent's declared egress (hosts, `host:port`, `*.domain`). `*` is refused. */
  allowlist: readonly string[];
  /**
   * The model provider's host (added to the allowlist), or its base URL
   * (`https://api.openai.com/v1` adds `api.openai.com`), or null for none.
   */
  modelHost?: string | null;
  /** The run's timeout: the agent container is killed after this long. Required. */
  timeoutMs: number;
  /** Non-global CIDRs the proxy lets through (internal services, test networks). */
  allowCidrs?: readonly string[];
  /** Resolves allowlisted names once at start (host side). Default the system resolver. */
  resolver?: (host: string) => Promise<string[]>;
  /** Extra environment for the agent (proxy variables cannot be overridden). */
  env?: Record<string, string>;
  /** Read-only binds `host:container` for the agent (e.g. the agent directory). */
  binds?: readonly string[];
  /** Working directory in the agent container. */
  workdir?: string;
  /** Run id for labels and names. Default a fresh uuid. */
  runId?: string;
  /**
   * When set, each proxy decision is appended as `harness.egress.observed` on this task. A
   * function is asked at each decision (the task id may only be known once the agent started);
   * a decision made while it returns null is not appended (it is still in `proxyDecisions`).
   */
  taskId?: string | (() => string | null);
  /** Networks the proxy ALSO joins (e.g. a test origin's network). Default none. */
  proxyNetworks?: readonly string[];
  /** Agent memory in bytes. Default 1 GiB (the cap). */
  memoryBytes?: number;
  /** Agent CPUs. Default 1. */
  cpus?: number;
  /** Cancels the run; everything is torn down and the signal's reason is thrown. */
  signal?: AbortSignal;
}

/** What a contained run did. */
export interface LaunchOutcome {
  /** The agent's exit code (137 when killed), or null when it never ran. */
  exitCode: number | null;
  /** Killed at the run's timeout. */
  timedOut: boolean;
  /** Events appended to the sink from the agent. */
  events: number;
  /** `zu_event` lines refused as malformed. */
  rejectedEvents: number;
  /** The proxy's decision lines. */
  proxyDecisions: Record<string, unknown>[];
  /** The proxy's final allowlist. */
  allowlist: string[];
  /** The permission flags the proxy ran under. */
  proxyFlags: string[];
  /** The internal network's name. */
  network: string;
  /** The last 64 KiB of the agent's stderr. */
  stderr: string;
  /** Wall time in ms. */
  durationMs: number;
}

/** Runs a whole agent contained: a hardened container behind an egress proxy. */
export interface AgentLauncher {
  /** Runs `request.command` and resolves when it exited or was killed at its timeout. */
  run(request: LaunchRequest): Promise<LaunchOutcome>;
}

// ------------------------------------------------------------------ egress proxy

/** A running egress proxy. */
export interface EgressProxyHandle extends AsyncDisposable {
  /** Listen host. */
  readonly host: string;
  /** Listen port. */
  readonly port: number;
  /** Decisions so far. */
  connections(): readonly Record<string, unknown>[];
  /** Stops it. */
  close(): Promise<void>;
}

/** Starts egress proxies. */
export interface EgressProxy {
  /** Starts a proxy with an allowlist. */
  launch(
    spec: { allowlist: string[]; listen?: string; allowCidrs?: string[] },
  ): Promise<EgressProxyHandle>;
}

// ---------------------------------------------------------------------------------------------
// Secrets (issue #12): the vault, the model broker and the egress proxy's credential modes.

/**
 * How a bound secret reaches its destination: `route` (a host-side broker adds it; the sandbox
 * calls the broker with a per-run phantom), `inject` (the egress proxy sets a header on requests
 * to the bound hosts), `placeholder` (the sandbox holds a per-run placeholder that the egress
 * proxy swaps for the value toward the bound hosts only).
 */
export type SecretMode = "route" | "inject" | "placeholder";

/**
 * One operator binding: which secret may go where, and how. Bindings come from the operator
 * (CLI flags, the operator's config file), never from agent.yaml, a bundle, a tool or the model.
 */
export interface SecretBinding {
  /** Vault name of the secret (`[A-Za-z_][A-Za-z0-9_]{0,63}`). */
  readonly secret: string;
  /** How it is used. */
  readonly mode: SecretMode;
  /**
   * Host patterns (the `core/host_pattern.ts` grammar: `host`, `host:port`, `*.domain`) the
   * secret may go to. For `route`, the upstream's host.
   */
  readonly hosts: readonly string[];
  /** `inject`: header templates `Name: text with {{secret:NAME}}` (replace same-named headers). */
  readonly headers?: readonly string[];
  /** `route`: the upstream base URL (`https://api.openai.com/v1`). */
  readonly upstream?: string;
  /** `placeholder` (or `route`): the sandbox env variable that carries the placeholder/phantom. */
  readonly env?: string;
  /** Plain-HTTP ports on which the secret may also be used. Default none (TLS only). */
  readonly plaintextPorts?: readonly number[];
}

/** Where secret values come from: resolved per use on the host, so a rotation applies at once. */
export interface SecretResolver {
  /** The current value of `name`; rejects with a `UserError` when unknown or unresolvable. */
  resolve(name: string): Promise<string>;
}

/** How one credential decision ended (`harness.egress.credential`). */
export type CredentialOutcome =
  | "injected"
  | "substituted"
  | "routed"
  | "blocked_placeholder"
  | "blocked_host_mismatch"
  | "blocked_auth_endpoint"
  | "blocked_method"
  | "phantom_rejected"
  | "no_binding"
  | "upstream_error";

/**
 * One use (or refused use) of a secret, as logged: never the value; a placeholder or phantom
 * only as a SHA-256 hex prefix (12 characters).
 */
export interface CredentialUse {
  /** Secret name. */
  secret: string;
  /** The binding's mode. */
  mode: SecretMode;
  /** Destination host (canonical). */
  host: string;
  /** Destination port. */
  port: number;
  /** Request method. */
  method: string;
  /** Request path without the query. */
  path: string;
  /** Status returned to the client (0 when none was sent). */
  status: number;
  /** What happened. */
  outcome: CredentialOutcome;
  /** For a blocked placeholder: the form it was found in (`raw`, `percent`, `json`, `basic`). */
  match_form?: string;
  /** SHA-256 hex prefix of the placeholder or phantom involved. */
  placeholder_sha256?: string;
  /** Request bytes sent upstream. */
  bytes_up?: number;
  /** Response bytes sent back. */
  bytes_down?: number;
  /** Wall time of the exchange in ms. */
  duration_ms?: number;
}

/** A real secret value found in a response from a bound host, and redacted (`harness.egress.secret_echo`). */
export interface SecretEcho {
  /** Secret name. */
  secret: string;
  /** Host that echoed it. */
  host: string;
  /** Where it was found. */
  where: "header" | "body";
  /** Request method. */
  method: string;
  /** Request path without the query. */
  path: string;
}

// ---------------------------------------------------------------------------------------------
// Live clearance (issue #13, clear lane): operator verdicts on blocked destinations.

/** An operator's verdict on a destination. */
export type ClearanceAction = "allow" | "deny";

/**
 * How far a verdict reaches: `once` (the held request only), `run` (every later request of the
 * run, in memory), `persist` (every run, stored through a {@link ClearanceStore}).
 */
export type ClearanceScope = "once" | "run" | "persist";

/** One stored clearance: a row of the `clearances` table. Deny wins over allow. */
export interface ClearanceRule {
  /** Destination host (normalised: lower case, punycode, canonical IP). */
  host: string;
  /** Destination port. */
  port: number;
  /** Allow or deny. */
  action: ClearanceAction;
  /** The scope it was given with (`persist` for stored rules). */
  scope: ClearanceScope;
  /** ISO-8601 UTC end of validity, or null for no end. */
  ttl_until: string | null;
  /** Who decided (sanitised). */
  actor: string;
  /** The operator's reason (model-facing on a deny), or null. */
  reason: string | null;
  /** ISO-8601 UTC creation time. */
  created: string;
  /** The run the verdict was given in, or null. */
  run_id: string | null;
  /** The request the verdict answered, or null. */
  request_id: string | null;
}

/** Where persisted clearances live (the event database; an in-memory store for tests). */
export interface ClearanceStore {
  /** Every stored rule (expired ones may be included; callers skip them). */
  load(): Promise<ClearanceRule[]>;
  /** Stores one rule durably before resolving. */
  save(rule: ClearanceRule): Promise<void>;
}

/** Payload of `harness.egress.pending`: a request held while an operator is asked. */
export interface ClearancePending {
  /** The id a verdict must cite (uuid v7). */
  request_id: string;
  /** The run that asked. */
  run_id: string;
  /** Destination host, printable ASCII, at most 253 characters. */
  host: string;
  /** Destination port. */
  port: number;
  /** TLS server name, when known before the hold (sanitised). */
  sni?: string;
  /** `https` (a CONNECT tunnel) or `http` (an absolute-form request). */
  scheme: string;
  /** ISO-8601 UTC time of the first request. */
  first_seen: string;
  /** Requests attached to this record so far. */
  count: number;
  /** ISO-8601 UTC time the current hold ends. */
  deadline: string;
}

/** How a clearance ended for the request it answered. */
export type ClearanceOutcome = "forwarded" | "denied" | "timed_out" | "late";

/** Payload of `harness.egress.clearance`: one verdict (or a deadline) and what it did. */
export interface ClearanceDecision {
  /** The request answered. */
  request_id: string;
  /** Its run. */
  run_id: string;
  /** Destination host (sanitised). */
  host: string;
  /** Destination port. */
  port: number;
  /** The verdict (`deny` for a deadline). */
  decision: ClearanceAction;
  /** Its scope. */
  scope: ClearanceScope;
  /** Who decided (`zu:deadline` for a deadline), sanitised. */
  actor: string;
  /** Milliseconds from the first request to the verdict. */
  decided_ms: number;
  /** Whether a request was being held when it arrived. */
  held: boolean;
  /** What it did to the held request(s). */
  outcome: ClearanceOutcome;
  /** The operator's reason (sanitised), when given. */
  reason?: string;
  /** End of validity of a `run`/`persist` rule, when given. */
  ttl_until?: string;
}

// ---------------------------------------------------------------------------------------------
// Serve lane (issue 13): the pending seam of `zu serve`. The clearance and approval lanes each
// implement a PendingSource; the server lists them at GET /v1/pending and forwards verdicts.
// ---------------------------------------------------------------------------------------------

/** What waits for a human: a held egress request (clearance) or a paused run (approval). */
export interface PendingItem {
  /** The request id the verdict names (issued by the source; unguessable). */
  id: string;
  /** Which kind of decision it is. */
  kind: "clearance" | "approval";
  /** The run (task id) it belongs to. */
  run: string;
  /** Clearance: the host asked for (printable ASCII, sanitised by the source). */
  host?: string;
  /** Clearance: the port asked for. */
  port?: number;
  /** ISO time the item was raised. */
  created_at?: string;
  /** ISO time after which it is decided by default (deny), when it has one. */
  deadline_at?: string;
  /** One printable line for an operator (sanitised by the source). */
  summary?: string;
}

/** A verdict action: `allow`/`deny` a clearance, `approve`/`reject` an approval. */
export type PendingAction = "allow" | "deny" | "approve" | "reject";
/** How long a clearance allow lasts. */
export type PendingScope = "once" | "run" | "persist";

/**
 * A verdict as the server validated it. The issued tuple (`run`, `host`, `port`) is echoed by the
 * client so the source can answer 409 when it does not match what it issued for `id`.
 */
export interface PendingVerdict {
  /** What to do. */
  action: PendingAction;
  /** The run the client believes the id belongs to. */
  run?: string;
  /** Clearance: the host the client believes it is deciding. */
  host?: string;
  /** Clearance: the port the client believes it is deciding. */
  port?: number;
  /** Clearance: how long an allow lasts. */
  scope?: PendingScope;
  /** Free text for the log (at most 1000 characters). */
  reason?: string;
  /** Who decided (set by the server from the door it came through, e.g. `serve`). */
  by: string;
}

/** A source's answer to a verdict: an HTTP status and a JSON body. */
export interface PendingAnswer {
  /** 200 applied; 400 bad action for this kind; 404 unknown request; 409 tuple mismatch. */
  status: number;
  /** JSON body (for errors `{ error: "unknown_request" | "tuple_mismatch" | ..., message? }`). */
  body: unknown;
}

/** Where pending items come from and where verdicts go (one per lane; combined by the server). */
export interface PendingSource {
  /** The items waiting now. */
  list(): Promise<PendingItem[]>;
  /** Applies a verdict to item `id`; an id this source never issued answers 404. */
  verdict(id: string, body: PendingVerdict): Promise<PendingAnswer>;
}

// ---------------------------------------------------------------------------------------------
// Workspace sandboxes (issue 14): the exec session, the persistent workspace and its snapshots.
// Lanes "session", "workspace", "pool" and "code" build on these; each adds to its own section.
// ---------------------------------------------------------------------------------------------

/** One command run through an {@link ExecSession}. */
export interface SessionCommand {
  /** The program and its arguments (no shell). One of `argv` or `sh`. */
  argv?: string[];
  /** A shell command line (`/bin/sh -c`), where the image has a shell. */
  sh?: string;
  /** Working directory (default the sandbox's workdir, `/workspace` when it has one). */
  cwd?: string;
  /** Environment added for this command only. */
  env?: Record<string, string>;
  /** Text given on the command's stdin (default: none, stdin is at end of file at once). */
  stdin?: string;
  /** Kill the command (its whole process group) after this many ms. Default 30 000. */
  timeoutMs?: number;
  /** Cap of stdout and of stderr, each, in bytes. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Cancels the command (killed as on a timeout); the session stays usable. */
  signal?: AbortSignal;
}

/** What a {@link SessionCommand} did. */
export interface SessionResult {
  /** Exit code, or null when killed by a signal. */
  exitCode: number | null;
  /** The signal that ended it (`SIGKILL`…), or null. */
  signal: string | null;
  /** Standard output (UTF-8, lossy), at most the cap. */
  stdout: string;
  /** Standard error (UTF-8, lossy), at most the cap. */
  stderr: string;
  /** Whether stdout or stderr was cut at the cap. */
  truncated: boolean;
  /** Whether the timeout (or the signal) killed it. */
  timedOut: boolean;
  /** Wall time in the sandbox, ms. */
  durationMs: number;
}

/** One entry of {@link ExecSession.listDir}. */
export interface SessionDirEntry {
  /** The name (no path). */
  name: string;
  /** What it is. */
  kind: "file" | "dir" | "symlink" | "other";
  /** Size in bytes (files). */
  size: number;
}

/**
 * A long-lived process in one sandbox that runs commands and file operations for the host over
 * one attached exec (`zu-session`): no listener in the sandbox, no network needed. A lost session
 * fails the calls in flight (`SessionLost`); the sandbox is not destroyed by closing it.
 */
export interface ExecSession extends AsyncDisposable {
  /** The sandbox it runs in. */
  readonly sandboxId: string;
  /** False once the session is closed or lost. */
  readonly alive: boolean;
  /** Runs one command. Calls may overlap. */
  run(command: SessionCommand): Promise<SessionResult>;
  /** Reads a file of the sandbox (at most `maxBytes`, default 8 MiB). */
  readFile(path: string, options?: { maxBytes?: number }): Promise<Uint8Array>;
  /** Writes (creates or replaces) a file of the sandbox. */
  writeFile(path: string, data: Uint8Array, options?: { mode?: number }): Promise<void>;
  /** Lists a directory of the sandbox. */
  listDir(path: string): Promise<SessionDirEntry[]>;
  /** Ends the session process. Idempotent. */
  close(): Promise<void>;
}

// --- Lane "workspace": the persistent workspace and its snapshots. ---

/** The writable `/workspace` of a sandbox (see `backends/docker/workspace_volume.ts`). */
export interface WorkspaceSpec {
  /** Size cap in bytes (default 256 MiB, at most 1 GiB; it counts against the sandbox's memory). */
  sizeBytes?: number;
}

export interface SandboxSpec {
  /**
   * A writable `/workspace` (a fresh volume of this sandbox only; noexec, nosuid, nodev, owned by
   * the sandbox user). `true` = the defaults. Default: none.
   */
  workspace?: boolean | WorkspaceSpec;
}

export interface SandboxBackend {
  /**
   * Whether `snapshot` captures and `restore` brings back the sandbox's workspace (the id
   * `snapshot` returns is then a snapshot id, and `restore` always starts a NEW sandbox).
   */
  supportsSnapshots?(): boolean;
}

/** A stored workspace snapshot (`zu sandbox ls`). Never holds the sandbox's environment. */
export interface WorkspaceSnapshot {
  /** `snap_<uuid>`. */
  id: string;
  /** What it captured: the workspace (the root is read-only under the floor, so no root diff). */
  kind: "workspace";
  /** sha256 of the stored tar (the blob's address). */
  digest: string;
  /** sha256 over the tree (paths, types, modes, owners, contents; not times): equal trees, equal digests. */
  treeDigest: string;
  /** Bytes of the tar. */
  sizeBytes: number;
  /** Hash of the hardening policy the source sandbox ran under. */
  policyHash: string;
  /** The image the source sandbox ran. */
  image: string;
  /** Where it came from. */
  parent: { runId: string; sandbox: string; snapshotOf?: string };
  /** ISO time of capture. */
  createdAt: string;
  /** Owner labels (`zu.pid`, `zu.host`…) for the reaper; `pinned` snapshots are reaped by age only. */
  labels: Record<string, string>;
}

// ------------------------------------------------------------------ sandbox lifecycle and cost

/**
 * An operator's price table for sandboxes (USD). Parsed by `parseSandboxPrices`
 * (`core/sandbox_prices.ts`), the one parser of `sandbox_prices:` and of `--prices <file>`.
 */
export interface SandboxPrices {
  /** Always `USD`. */
  currency: "USD";
  /** USD per vCPU-second (the CPU limit for an estimate, the measured CPU time for a meter). */
  vcpuSecond: number;
  /** USD per GiB-second of memory. */
  gibSecond: number;
  /** USD per launch. */
  launch: number;
  /** What a meter charges memory on: the sandbox's limit (default) or its peak use. */
  memory: "limit" | "use";
}

/** Figures of a sandbox's use (estimated or measured) and their price. */
export interface SandboxCost {
  /** `estimate` (from the spec's limits) or `metered` (from the sandbox's counters). */
  kind: "estimate" | "metered";
  /** Always `USD`. */
  currency: "USD";
  /** The total in USD, unrounded. */
  usd: number;
  /** vCPU-seconds charged (limit × wall for an estimate, measured CPU time for a meter). */
  vcpuSeconds: number;
  /** GiB-seconds of memory charged (limit or peak use, × wall). */
  gibSeconds: number;
  /** Launches charged (1 per sandbox). */
  launches: number;
  /** Wall seconds (the given duration, or since the sandbox started). */
  wallSeconds: number;
  /** Measured CPU time in seconds (`metered` only). */
  cpuSeconds?: number;
  /** Peak memory use in bytes as the daemon reports it (`metered` only; null when unknown). */
  memoryPeakBytes?: number | null;
  /** The memory limit in bytes. */
  memoryLimitBytes: number;
  /** The CPU limit (fractional vCPUs). */
  cpuLimit: number;
}

/** How to reach a ready sandbox. */
export interface SandboxReach {
  /** The sandbox answers execs. */
  exec: boolean;
  /** It ships an exec session agent (`zu-session`): fast execs. */
  session: boolean;
  /** Networks it is on (empty for `none`). */
  networks: string[];
  /** Its addresses on those networks. */
  addresses: string[];
  /** Ports it publishes on the host (`host:port`); zu sandboxes publish none. */
  ports: string[];
}

/** What `teardown` removed and what it could not. */
export interface TeardownReport {
  /** The sandbox torn down. */
  sandbox: string;
  /** Containers removed (ids). */
  containers: string[];
  /** Volumes removed. */
  volumes: string[];
  /** Networks removed. */
  networks: string[];
  /** Snapshots removed (zu keeps snapshots beyond their sandbox: usually empty). */
  snapshots: string[];
  /** What failed to go, one entry each. */
  failed: Array<
    { kind: "container" | "volume" | "network" | "snapshot"; name: string; error: string }
  >;
}

/**
 * The lifecycle contract (sand-boxer's): `provision` then `waitReady` (what `launch` does in one
 * step), `teardown` with a report (what `destroy` does silently), and the snapshot capability.
 * Optional on the port so older backends still type-check; `sandboxLifecycle`
 * (`core/sandbox_lifecycle.ts`) supplies them from `launch`/`destroy` where missing.
 */
export interface SandboxBackend {
  /** Creates and starts a sandbox; it may not answer yet (see `waitReady`). */
  provision?(spec: SandboxSpec): Promise<SandboxHandle>;
  /** Resolves once the sandbox answers; says how to reach it. */
  waitReady?(handle: SandboxHandle): Promise<SandboxReach>;
  /** Removes the sandbox and everything it owns; reports each. Idempotent (empty report). */
  teardown?(handle: SandboxHandle): Promise<TeardownReport>;
}
