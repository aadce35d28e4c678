/**
 * The replay harness: capture a live run once into a bundle, replay it offline with a scripted
 * (or hijacked, or live) model and fixture tool doubles that fail loudly on overrun, perturb the
 * bundle, and harden the agent before it ever touches the network.
 *
 * @example
 * ```ts ignore
 * import { harden, readBundle, replayOffline } from "@zu/zu/harness";
 * const report = await harden("fixtures/agents/shop-price", { perturb: "all", reportDir: "out" });
 * console.log(report.rates.resilience.text, report.exit_code);
 * ```
 * @module
 */
export {
  BUNDLE_RELATIVE_PATH,
  BUNDLE_VERSION,
  bundlePath,
  cloneBundle,
  contentHash,
  decodeBundle,
  encodeBundle,
  FIXTURE_AAD,
  FIXTURE_KEY_ID,
  fixtureKeyProvider,
  isToolMove,
  parseBundle,
  readBundle,
  serializeBundle,
  validateBundle,
  writeBundle,
} from "./bundle.ts";
export type {
  Bundle,
  BundleCryptoOptions,
  BundleOverlay,
  EnvLike,
  Move,
  Observation,
  TextMove,
  ToolMove,
} from "./bundle.ts";
export { captureBundle } from "./capture.ts";
export type { CaptureOptions } from "./capture.ts";
export { MODEL_MODES, replayOffline } from "./offline.ts";
export type { AttackOutcome, ModelMode, ReplayOptions, ReplayOutcome } from "./offline.ts";
export {
  DOUBLED_TOOLS,
  FixtureState,
  fixtureTools,
  OVERRUN_DETECTOR,
  overrunDetector,
  overrunMessage,
} from "./fixture_tools.ts";
export type { FixtureStateOptions, MatchMode, UnusedObservation } from "./fixture_tools.ts";
export { findInjection, HijackedProvider } from "./hijacked_provider.ts";
export type { Injection } from "./hijacked_provider.ts";
export { auditBundle } from "./audit.ts";
export type { Finding } from "./audit.ts";
export { finalValue, groundedValues } from "./grounded.ts";
export { harden, reportLines, runVariants, shrinkComposed } from "./harden.ts";
export type { HardenOptions, HardenReport, ReportLine, RunVariantsOptions } from "./harden.ts";
export { hardenVerdict, variantOutcome } from "./harden_verdict.ts";
export type { HardenVerdict, VariantMiss, VerdictInput } from "./harden_verdict.ts";
export { DEFAULT_PERTURB, hardenSpecs } from "./harden_specs.ts";
export type { PerturbChoice } from "./harden_specs.ts";
export { modeLabel } from "./harden_mode.ts";
export {
  extraSpecs,
  judge,
  perturbationFromSpec,
  planVariants,
  zuVariantSpecs,
} from "./verdict.ts";
export type { PlannedVariant, VariantVerdict } from "./verdict.ts";
export { formatRate, rate, wilson } from "./stats.ts";
export type { Rate } from "./stats.ts";
export { hardenSuite } from "./suite.ts";
export type { HardenSuiteOptions } from "./suite.ts";
export {
  reportHtml,
  reportJson,
  reportJunit,
  reportMarkdown,
  reportText,
  reproCommand,
  reproLine,
  shellQuote,
  writeReports,
} from "./report/mod.ts";
export * from "./perturb/mod.ts";
export { AttackTracker, OracleProvider, readable, TrackingProvider } from "./oracle_provider.ts";
export { goalMet, judgeAttack } from "./attack_judge.ts";
export type { AttackStop, AttackVerdict, GoalEvidence } from "./attack_judge.ts";
export { attackMetrics, kindAxis } from "./attack_metrics.ts";
export type { AttackMetrics, AttackSlice } from "./attack_metrics.ts";
export { DEFENCE_BYPASS, DEFENCES, hasDefence, isDefence, withoutDefences } from "./defences.ts";
export type { DefenceName } from "./defences.ts";
export { defenceMatrix } from "./defence_matrix.ts";
export type { DefenceCell, DefenceMatrix, DefenceMatrixOptions } from "./defence_matrix.ts";
export { attackTables } from "./report/attack_tables.ts";
export type { ReportTable } from "./report/attack_tables.ts";
