import { equal, match, ok } from "node:assert/strict";
import { ProviderAuthError, ProviderUnavailable, UserError } from "../core/errors.ts";
import type { CommandDef } from "./_command.ts";
import { captureIo } from "./_io.ts";
import { main, runCli } from "./main.ts";

Deno.test("an unknown command exits 2 with one error line naming it", async () => {
  const io = captureIo();
  equal(await main(["nope"], io), 2);
  equal(io.stderrText(), 'error: unknown command "nope" for "zu"; see "zu --help"\n');
  equal(io.stdoutText(), "");
});

Deno.test("an unknown flag exits 2 with the flag and where to look", async () => {
  const io = captureIo();
  equal(await main(["harden", "--x"], io), 2);
  equal(io.stderrText(), 'error: unknown flag "--x" for "zu harden"; see "zu harden --help"\n');
  const sub = captureIo();
  equal(await main(["events", "list", "--nope=1"], sub), 2);
  equal(
    sub.stderrText(),
    'error: unknown flag "--nope" for "zu events list"; see "zu events list --help"\n',
  );
});

Deno.test("bad flag values and extra arguments are usage errors", async () => {
  const cases: [string[], RegExp][] = [
    [["harden", "--min-score", "abc"], /flag "--min-score" needs a number, got "abc"/],
    [
      ["harden", "--model", "gpt"],
      /does not accept "gpt" \(one of: script, hijacked, oracle, live\)/,
    ],
    [["harden", "--json=yes"], /flag "--json" of "zu harden" takes no value/],
    [["harden", "--report"], /flag "--report" of "zu harden" needs a value/],
    [["init", "a", "b"], /unexpected argument "b" for "zu init"/],
    [["events", "show"], /"zu events show" needs the argument <event-id>/],
    [["harden", "--min-score", "2"], /needs a number from 0 to 1/],
  ];
  for (const [args, re] of cases) {
    const io = captureIo({ cwd: Deno.makeTempDirSync() });
    equal(await main(args, io), 2, args.join(" "));
    match(io.stderrText(), re);
    equal(io.stderrText().split("\n").length, 2, `one line for ${args.join(" ")}`);
    ok(io.stderrText().startsWith("error: "));
  }
});

Deno.test("--help prints the command's help and exits 0; a bare group prints help and exits 2", async () => {
  const io = captureIo();
  equal(await main(["events", "list", "--help"], io), 0);
  match(io.stdoutText(), /^zu events list - List events/);
  const bare = captureIo();
  equal(await main(["events"], bare), 2);
  match(bare.stderrText(), /Commands:\n {2}list/);
  const root = captureIo();
  equal(await main(["--help"], root), 0);
  match(root.stdoutText(), /explain-permissions/);
});

Deno.test("a user error is one line and exit 2; any other error is a bug with its stack and exit 1", async () => {
  const root: CommandDef = {
    name: "zu",
    summary: "test",
    subcommands: [
      {
        name: "user",
        summary: "fails as a user error",
        run: () =>
          Promise.reject(
            new UserError("config_invalid", 'Cannot load agent "a":\nkey "x" is wrong'),
          ),
      },
      {
        name: "bug",
        summary: "fails as a bug",
        run: () => Promise.reject(new TypeError("boom")),
      },
    ],
  };
  const u = captureIo();
  equal(await runCli(root, ["user"], u), 2);
  equal(u.stderrText(), 'error: Cannot load agent "a": key "x" is wrong\n');
  const b = captureIo();
  equal(await runCli(root, ["bug"], b), 1);
  match(b.stderrText(), /internal error/);
  match(b.stderrText(), /TypeError: boom\n\s+at /);
});

Deno.test("a model API that is down fails the run (one line, exit 1); a rejected key is exit 2", async () => {
  const root: CommandDef = {
    name: "zu",
    summary: "test",
    subcommands: [
      {
        name: "down",
        summary: "provider down",
        run: () =>
          Promise.reject(
            new ProviderUnavailable("Cannot complete: the API is unreachable"),
          ),
      },
      {
        name: "auth",
        summary: "bad key",
        run: () =>
          Promise.reject(
            new ProviderAuthError("Cannot complete: the API rejected the key (401)"),
          ),
      },
    ],
  };
  const down = captureIo();
  equal(await runCli(root, ["down"], down), 1);
  equal(down.stderrText(), "error: Cannot complete: the API is unreachable\n");
  const auth = captureIo();
  equal(await runCli(root, ["auth"], auth), 2);
  equal(auth.stderrText(), "error: Cannot complete: the API rejected the key (401)\n");
});
