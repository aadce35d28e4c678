/**
 * Tests only (private): makes a run CA sign a leaf for any host, bypassing `permits`, so a test
 * can show that real clients refuse a leaf outside the CA's NameConstraints. It hands out no key
 * of the CA; it only asks the CA to sign.
 * @module
 */
import type { LeafCert, RunCa } from "./run_ca.ts";

/** The method key under which a run CA signs without checking its bound hosts. */
export const UNCHECKED_SIGN: unique symbol = Symbol("zu.runCa.uncheckedSign");

/** A run CA as seen through its unchecked signing method. */
interface UncheckedSigner {
  [UNCHECKED_SIGN](host: string): LeafCert;
}

/** Signs a leaf for `host` (canonical) with `ca`, even when the CA does not permit it. */
export function signCertForTest(ca: RunCa, host: string): LeafCert {
  return (ca as unknown as UncheckedSigner)[UNCHECKED_SIGN](host);
}
