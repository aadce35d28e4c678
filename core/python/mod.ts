/**
 * The Python-compatibility helpers, in one place: what zu (CPython) writes byte for byte and this
 * project must reproduce — `repr()`, `str()`, `len()`, `uuid.uuid5`, `json.dumps` (with zu's
 * options) and a `json.loads` that keeps Python's key order and number kinds.
 *
 * @example
 * ```ts
 * import { pyDumps, pyRepr, uuid5 } from "./mod.ts";
 * console.assert(pyRepr([1, "a"]) === "[1, 'a']");
 * console.assert(pyDumps({ b: 1, a: "é" }) === '{"b": 1, "a": "\\u00e9"}');
 * console.assert(uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org").startsWith("886313e1"));
 * ```
 * @module
 */
export { pyLen, pyRepr, pyStr, pyStrRepr, pyStrScalar } from "./repr.ts";
export { uuid5 } from "./uuid5.ts";
export { pyJsonLoads, type PyNode } from "./json_loads.ts";
export {
  compareCodePoints as codePointCompare,
  pythonJsonDumps as pyDumps,
  type PythonJsonDumpsOptions as PyDumpsOptions,
} from "../canonical_json.ts";
