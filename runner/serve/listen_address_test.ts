import { deepEqual, equal, throws } from "node:assert/strict";
import type { UserError } from "../../core/errors.ts";
import { parseListen } from "./listen_address.ts";

Deno.test("parseListen takes loopback addresses only", () => {
  deepEqual(parseListen("127.0.0.1:8765"), { hostname: "127.0.0.1", port: 8765 });
  deepEqual(parseListen("127.1.2.3:0"), { hostname: "127.1.2.3", port: 0 });
  deepEqual(parseListen("localhost:80"), { hostname: "127.0.0.1", port: 80 });
  deepEqual(parseListen("[::1]:9000"), { hostname: "::1", port: 9000 });
  for (
    const bad of [
      "0.0.0.0:8765",
      "[::]:8765",
      "192.168.1.2:80",
      "example.com:80",
      "127.0.0.1",
      "127.0.0.1:70000",
      "127.0.0.256:80",
      "[::ffff:127.0.0.1]:80",
      "\x1b[31m:1",
    ]
  ) {
    throws(() => parseListen(bad), (e: unknown) => {
      equal((e as UserError).code, "serve_listen_failed", bad);
      equal((e as Error).message.split("\n").length, 1);
      const msg = (e as Error).message;
      equal([...msg].some((c) => c.charCodeAt(0) < 0x20), false, "control bytes never echoed");
      return true;
    });
  }
});
