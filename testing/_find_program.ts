/**
 * Where a host program is, for the test fixtures that start one (a second dockerd, a test sshd):
 * the first `dir/program` that is a file, over `PATH` and the sbin directories (which a root
 * `PATH` may lack). Test-only.
 *
 * @module
 */

const SBIN = ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"];

/** The path of `program`, or null when no directory has it. */
export function findProgram(program: string): string | null {
  let path: string[] = [];
  try {
    path = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  } catch {
    // no env access: the sbin directories only
  }
  for (const dir of [...path, ...SBIN]) {
    try {
      if (Deno.statSync(`${dir}/${program}`).isFile) return `${dir}/${program}`;
    } catch {
      // not here
    }
  }
  return null;
}
