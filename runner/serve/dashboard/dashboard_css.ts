/**
 * The dashboard's style sheet (`GET /ui/app.css`).
 *
 * @example
 * ```ts
 * import { DASHBOARD_CSS } from "./dashboard_css.ts";
 * console.assert(DASHBOARD_CSS.includes("body"));
 * ```
 * @module
 */

/** The style sheet. */
export const DASHBOARD_CSS: string =
  `:root { color-scheme: light dark; --line: #8884; --ok: #2a7a2a; --bad: #b03030; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 0 1rem 2rem; }
header { display: flex; align-items: baseline; gap: 1rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.3rem; margin: .6rem 0; }
h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
code, .mono, #timeline { font-family: ui-monospace, monospace; font-size: 12.5px; }
.muted { color: #888; }
[hidden] { display: none !important; }
#notice { margin: .6rem 0; padding: .5rem .7rem; border: 1px solid var(--bad); color: var(--bad); border-radius: 4px; }
#token-form { display: flex; gap: .5rem; }
#token-input { flex: 1; max-width: 32rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line); }
tr.selected { background: #8882; }
button.run-link { font: inherit; border: 0; background: none; padding: 0; color: inherit; text-decoration: underline; cursor: pointer; }
.status-running { color: #a06800; }
.status-completed { color: var(--ok); }
.status-failed, .status-interrupted { color: var(--bad); }
#pending-list { list-style: none; padding: 0; margin: 0; }
.pending-item { border: 1px solid var(--line); border-radius: 4px; padding: .5rem .7rem; margin: .4rem 0; }
.pending-item .what { font-weight: 600; }
.pending-item .actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .3rem; }
.pending-item .result { margin-top: .3rem; }
.pending-item.decided { opacity: .6; }
button.allow, button.approve { color: var(--ok); }
button.deny, button.reject { color: var(--bad); }
#timeline { padding-left: 0; list-style: none; max-height: 60vh; overflow: auto; border: 1px solid var(--line); }
#timeline li { display: grid; grid-template-columns: 3.5rem 7.5rem 18rem 1fr; gap: .5rem; padding: .1rem .4rem; border-bottom: 1px solid var(--line); }
#timeline li .payload { overflow-wrap: anywhere; color: #888; }
`;
