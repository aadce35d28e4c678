/**
 * A stand-in for the host-side model broker in this folder's tests (private): listens on the
 * unix socket it is given, demands the per-run phantom (`Authorization: Bearer` or
 * `x-api-key`), drops the client's credential headers, adds the real key read from the host's
 * environment and forwards `/r/<id>/<rest>` to the route's upstream. The real broker is
 * `backends/egress/model_broker.ts` (another lane); this one only has to be faithful enough to
 * show that the container never needs the key.
 * @module
 */
import type {
  ContainedBroker,
  ContainedBrokerRequest,
  StartContainedBroker,
} from "./contained_broker.ts";

/** What the stand-in saw. */
export interface StandInLog {
  /** Requests with the right phantom, forwarded. */
  forwarded: number;
  /** Requests refused with 401 (no phantom, or a wrong one). */
  refused: number;
  /** Each request it was asked to start with. */
  requests: ContainedBrokerRequest[];
}

/** A broker factory for tests; `key(name)` reads the real key on the host. */
export function standInBroker(
  key: (name: string) => string | undefined,
): { start: StartContainedBroker; log: StandInLog } {
  const log: StandInLog = { forwarded: 0, refused: 0, requests: [] };
  const start: StartContainedBroker = (request) => {
    log.requests.push(request);
    const phantom = `zu-phantom-${crypto.randomUUID()}`;
    const routes = new Map(request.routes.map((r) => [r.id, r]));
    const server = Deno.serve({ path: request.unixPath, onListen: () => {} }, async (req) => {
      const sent = req.headers.get("x-api-key") ??
        req.headers.get("authorization")?.replace(/^Bearer /, "");
      const u = new URL(req.url);
      const m = /^\/r\/([a-z0-9]+)(\/.*)?$/.exec(u.pathname);
      const route = m ? routes.get(m[1]!) : undefined;
      if (sent !== phantom || !route) {
        log.refused++;
        return new Response("phantom required", { status: 401 });
      }
      const headers = new Headers(req.headers);
      for (const h of ["authorization", "x-api-key", "host", "connection"]) headers.delete(h);
      const real = key(route.keyEnv) ?? "";
      if (route.authHeader === "x-api-key") headers.set("x-api-key", real);
      else headers.set("authorization", `Bearer ${real}`);
      log.forwarded++;
      const up = await fetch(`${route.upstream}${m![2] ?? ""}${u.search}`, {
        method: req.method,
        headers,
        ...(req.body ? { body: await req.arrayBuffer() } : {}),
        redirect: "manual",
      });
      return new Response(await up.arrayBuffer(), { status: up.status, headers: up.headers });
    });
    const broker: ContainedBroker = {
      phantom,
      routeUrl: (id, origin = "http://broker.invalid") => `${origin}/r/${id}`,
      close: () => server.shutdown(),
    };
    return Promise.resolve(broker);
  };
  return { start, log };
}
