/**
 * The dashboard's page (`GET /` of `zu serve`): static markup only, no inline script or style
 * (the CSP is `default-src 'self'`); `/ui/app.js` fills it in.
 *
 * @example
 * ```ts
 * import { DASHBOARD_HTML } from "./dashboard_html.ts";
 * console.assert(DASHBOARD_HTML.includes('src="/ui/app.js"'));
 * ```
 * @module
 */

/** The page's HTML. */
export const DASHBOARD_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>zu</title>
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/app.js" defer></script>
</head>
<body>
<header>
  <h1>zu</h1>
  <span id="conn" class="muted"></span>
  <button id="forget" type="button" hidden>Forget token</button>
</header>
<div id="notice" role="alert" hidden></div>
<section id="login" hidden>
  <h2>Token</h2>
  <p>Paste the token <code>zu serve</code> printed at start (it is also in
  <code>.zu/serve.token</code>), or open this page as <code>/#token=&lt;token&gt;</code>.
  It stays in this tab only.</p>
  <form id="token-form">
    <input id="token-input" type="password" autocomplete="off" spellcheck="false"
      aria-label="token" placeholder="token">
    <button type="submit">Use token</button>
  </form>
</section>
<main id="app" hidden>
  <section id="pending-view">
    <h2>Pending <span id="pending-count" class="muted"></span></h2>
    <p id="pending-empty" class="muted">Nothing waits for a verdict.</p>
    <ul id="pending-list"></ul>
  </section>
  <section id="runs-view">
    <h2>Runs</h2>
    <table id="runs">
      <thead><tr><th>run</th><th>agent</th><th>status</th><th>events</th><th>started</th></tr></thead>
      <tbody id="runs-body"></tbody>
    </table>
    <p id="runs-empty" class="muted">No runs yet.</p>
  </section>
  <section id="timeline-view" hidden>
    <h2>Timeline of <code id="timeline-run"></code> <span id="timeline-status" class="status"></span></h2>
    <ol id="timeline"></ol>
  </section>
</main>
</body>
</html>
`;
