/**
 * Python text forms the harness needs byte for byte: `json.dumps(value, indent=2)` (how zu writes
 * `fixtures/capture.json`), `json.dumps(value)` (the final text move), `repr()` (finding
 * locations) and `str()` (grounded values, drop-value names). All of them are core's; this module
 * names them the way the harness uses them.
 *
 * @module
 */
export {
  pythonJsonDumps as pyDumps,
  type PythonJsonDumpsOptions as PyDumpsOptions,
} from "../core/canonical_json.ts";
export { pyRepr, pyStr } from "../core/chain.ts";
