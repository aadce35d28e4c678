import { equal, throws } from "node:assert/strict";
import { parseLocalOrigin, parseLocalOrigins, withLocalOrigins } from "./local_origin.ts";
import { addressRefusal } from "./address_policy.ts";
import { checkHost } from "./net_guard.ts";

Deno.test("parseLocalOrigin accepts loopback literals with a port, as text or an origin URL", () => {
  equal(parseLocalOrigin("127.0.0.1:8080"), "127.0.0.1:8080");
  equal(parseLocalOrigin(" 127.0.0.2:9 "), "127.0.0.2:9");
  equal(parseLocalOrigin("[::1]:3000"), "[::1]:3000");
  equal(parseLocalOrigin("http://127.0.0.1:8080/"), "127.0.0.1:8080");
  equal(parseLocalOrigin("[::ffff:127.0.0.1]:80"), "127.0.0.1:80");
});

Deno.test("parseLocalOrigin refuses names, missing ports and every address that is not loopback", () => {
  for (
    const [text, why] of [
      ["localhost:8080", /not an IP address .*127\.0\.0\.1:8080/],
      ["127.0.0.1", /names no port/],
      ["http://127.0.0.1/", /names no port/],
      ["169.254.169.254:80", /metadata, not loopback/],
      ["10.0.0.5:80", /private, not loopback/],
      ["93.184.216.34:80", /global, not loopback/],
      ["0.0.0.0:80", /not loopback/],
      ["[::127.0.0.1]:80", /IPv6 form \(write 127\.0\.0\.1 or ::1\)/],
      ["127.0.0.1:0", /port/],
    ] as const
  ) {
    throws(() => parseLocalOrigin(text), (e: Error) => {
      equal(e instanceof TypeError, true);
      equal(why.test(e.message), true, e.message);
      equal(e.message.startsWith(`Cannot use local origin "${text}"`), true, e.message);
      return true;
    });
  }
});

Deno.test("a local origin opens its loopback address on its one port, and nothing else", async () => {
  const policy = { localOrigins: parseLocalOrigins(["127.0.0.1:8080", "127.0.0.1:8080"]) };
  equal(policy.localOrigins.length, 1);
  equal(addressRefusal("127.0.0.1", policy, 8080), null);
  equal(addressRefusal("127.0.0.1", policy, 8081), "loopback");
  equal(addressRefusal("127.0.0.1", policy), "loopback", "no port, no opening");
  equal(addressRefusal("127.0.0.2", policy, 8080), "loopback");
  equal((await checkHost("127.0.0.1", { ...policy, port: 8080 }))[0], "127.0.0.1");
  await checkHost("2130706433", { ...policy, port: 8080 }); // the same address in another spelling
  // The opening is the socket: a name that resolves to it reaches it too, on that port only.
  const resolver = () => Promise.resolve(["127.0.0.1"]);
  equal((await checkHost("local.test", { ...policy, port: 8080, resolver }))[0], "127.0.0.1");
  let refused = "";
  await checkHost("local.test", { ...policy, port: 9090, resolver }).catch((e) =>
    refused = e.message
  );
  equal(/resolves to "127\.0\.0\.1", which is loopback/.test(refused), true, refused);
});

Deno.test("withLocalOrigins adds the origins to an allowlist and leaves no allowlist alone", () => {
  equal(withLocalOrigins(null, ["127.0.0.1:9"]), null);
  equal(withLocalOrigins(["a.test", "127.0.0.1:9"], ["127.0.0.1:9"])?.join(), "a.test,127.0.0.1:9");
});
