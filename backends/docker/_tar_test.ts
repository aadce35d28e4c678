import assert from "node:assert/strict";
import { tarStream } from "./_tar.ts";

Deno.test("tarStream writes an archive that GNU tar lists with modes, long names and symlinks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const long = `d/${"x".repeat(150)}/file.txt`;
    const chunks: Uint8Array[] = [];
    for await (
      const c of tarStream([
        { type: "dir", path: "d", mode: 0o755 },
        {
          type: "file",
          path: "d/a.sh",
          source: new TextEncoder().encode("echo hi\n"),
          mode: 0o755,
        },
        { type: "file", path: long, source: new TextEncoder().encode("long"), mode: 0o644 },
        { type: "symlink", path: "d/link", target: "a.sh" },
        { type: "file", path: "d/suid", source: new Uint8Array(3), mode: 0o4755 },
      ])
    ) chunks.push(c);
    const total = chunks.reduce((n, c) => n + c.length, 0);
    assert.equal(total % 512, 0);
    const file = `${dir}/t.tar`;
    await Deno.writeFile(file, new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer()));
    const out = await new Deno.Command("tar", {
      args: ["-tvf", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const listing = new TextDecoder().decode(out.stdout);
    assert.match(listing, /^drwxr-xr-x .* d\/$/m);
    assert.match(listing, /^-rwxr-xr-x .* 8 .* d\/a\.sh$/m);
    assert.match(listing, new RegExp(`^-rw-r--r-- .* 4 .* ${long}$`, "m"));
    assert.match(listing, /^lrwxrwxrwx .* d\/link -> a\.sh$/m);
    assert.match(listing, /^-rwsr-xr-x .* d\/suid$/m);
    const x = await new Deno.Command("tar", { args: ["-xf", file, "-C", dir] }).output();
    assert.ok(x.success);
    assert.equal(await Deno.readTextFile(`${dir}/${long}`), "long");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
