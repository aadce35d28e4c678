/**
 * The dashboard's script (`GET /ui/app.js`): plain browser JavaScript, no framework, no build
 * step. It reads the bearer token from the URL fragment (`/#token=...`, never sent to the
 * server, removed from the address bar at once) or a paste box, keeps it in `sessionStorage`,
 * and sends it as `Authorization` on every API call. Event streams are read with `fetch`
 * streaming (an `EventSource` cannot send headers). Every text that came from a run or a sandbox
 * is put in the page with `textContent` after {@link DASHBOARD_JS}'s own `printable()` pass
 * (control characters, bidi controls and NUL become U+FFFD), on top of the server's sanitising.
 *
 * Kept as a string (with no backtick and no dollar-brace in it) so the package carries it.
 *
 * @example
 * ```ts
 * import { DASHBOARD_JS } from "./dashboard_js.ts";
 * console.assert(!DASHBOARD_JS.includes("innerHTML"));
 * ```
 * @module
 */

/** The script. */
export const DASHBOARD_JS: string = String.raw`"use strict";
(function () {
  var KEY = "zu.token";
  var RUNS_EVERY_MS = 2000;
  var PENDING_EVERY_MS = 1000;
  var TIMELINE_MAX = 2000;
  var FRAME_MAX = 1048576;
  var token = null;
  var selected = null;
  var timelineAbort = null;
  var globalAbort = null;
  var generation = 0;
  var pendingNodes = new Map();

  function $(id) { return document.getElementById(id); }

  // Anything a run or a sandbox chose: no control characters (C0, DEL, C1: ANSI escapes, NUL,
  // line breaks), no bidi or zero-width controls, capped.
  var UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;
  function printable(value, max) {
    var s = String(value === undefined || value === null ? "" : value).replace(UNSAFE, "\ufffd");
    var cap = max || 200;
    return s.length > cap ? s.slice(0, cap - 1) + "\u2026" : s;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = printable(text, 400);
    return node;
  }

  function notice(text) {
    var n = $("notice");
    if (text) {
      n.textContent = printable(text, 400);
      n.hidden = false;
    } else {
      n.textContent = "";
      n.hidden = true;
    }
  }

  function AuthRefused() {}

  function readToken() {
    var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      try {
        sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
      } catch (_e) { /* storage off: keep it for this page only */ token = m[1]; }
      history.replaceState(null, "", location.pathname + location.search);
    }
    try {
      return sessionStorage.getItem(KEY) || token;
    } catch (_e) {
      return token;
    }
  }

  function showLogin(message) {
    generation++;
    if (timelineAbort) timelineAbort.abort();
    if (globalAbort) globalAbort.abort();
    $("app").hidden = true;
    $("forget").hidden = true;
    $("login").hidden = false;
    $("conn").textContent = "";
    notice(message || "");
    $("token-input").focus();
  }

  function refused() {
    token = null;
    try { sessionStorage.removeItem(KEY); } catch (_e) { /* nothing stored */ }
    showLogin("The server refused this token (401 unauthorized). Paste the token zu serve " +
      "printed at start (also in .zu/serve.token); a restarted server has a new one.");
  }

  async function api(path, init) {
    var opts = init || {};
    var headers = new Headers(opts.headers || {});
    headers.set("authorization", "Bearer " + token);
    var res = await fetch(path, {
      method: opts.method || "GET",
      headers: headers,
      body: opts.body,
      signal: opts.signal,
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
    if (res.status === 401) {
      refused();
      throw new AuthRefused();
    }
    return res;
  }

  async function readSse(res, onFrame) {
    var reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    var buf = "";
    for (;;) {
      var r = await reader.read();
      if (r.done) return;
      buf += r.value.replace(/\r\n?/g, "\n");
      var at = buf.indexOf("\n\n");
      while (at >= 0) {
        var block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        var frame = { event: "message", data: "", id: null };
        block.split("\n").forEach(function (line) {
          var c = line.indexOf(":");
          if (c <= 0) return;
          var k = line.slice(0, c);
          var v = line.slice(c + 1).replace(/^ /, "");
          if (k === "data") frame.data += v;
          else if (k === "event") frame.event = v;
          else if (k === "id") frame.id = v;
        });
        onFrame(frame);
        at = buf.indexOf("\n\n");
      }
      if (buf.length > FRAME_MAX) throw new Error("an event frame is too large");
    }
  }

  function clock(iso) {
    var s = printable(iso, 40);
    return /^\d{4}-\d\d-\d\dT/.test(s) ? s.slice(11, 23) : s;
  }

  function statusClass(status) {
    return ["running", "completed", "failed", "interrupted"].indexOf(status) >= 0
      ? "status status-" + status
      : "status";
  }

  // ---- runs ----

  function renderRuns(runs) {
    var body = $("runs-body");
    body.replaceChildren();
    $("runs-empty").hidden = runs.length > 0;
    runs.slice().reverse().forEach(function (run) {
      var tr = el("tr");
      tr.dataset.run = printable(run.run_id, 64);
      if (run.run_id === selected) tr.className = "selected";
      var idCell = el("td");
      var link = el("button", "run-link mono", String(run.run_id).slice(0, 8));
      link.type = "button";
      link.title = printable(run.run_id, 64);
      link.addEventListener("click", function () { selectRun(run.run_id); });
      idCell.append(link);
      tr.append(
        idCell,
        el("td", "", run.agent + (run.task ? " \u2014 " + run.task : "")),
        el("td", statusClass(run.status), run.status +
          (run.error ? " (" + run.error.code + ")" : "")),
        el("td", "", run.events),
        el("td", "", clock(run.started_at)),
      );
      body.append(tr);
    });
  }

  async function refreshRuns() {
    var res = await api("/v1/runs");
    if (!res.ok) throw new Error("GET /v1/runs answered " + res.status);
    var body = await res.json();
    renderRuns(Array.isArray(body.runs) ? body.runs : []);
  }

  // ---- a run's timeline ----

  function timelineRow(item) {
    var ev = item.event || {};
    var li = el("li", "event");
    var payload = "";
    try { payload = JSON.stringify(ev.payload); } catch (_e) { payload = "?"; }
    li.append(
      el("span", "seq", item.seq),
      el("span", "time", clock(ev.ts)),
      el("span", "type", ev.type),
      el("span", "payload", printable(payload, 160)),
    );
    return li;
  }

  async function followRun(runId, signal, mine) {
    var last = 0;
    var list = $("timeline");
    for (var attempt = 0; attempt < 20 && mine === generation && !signal.aborted; attempt++) {
      var headers = last > 0 ? { "last-event-id": String(last) } : {};
      var res = await api("/v1/runs/" + encodeURIComponent(runId) + "/events", {
        headers: headers,
        signal: signal,
      });
      if (!res.ok) {
        $("timeline-status").textContent = printable("cannot follow: " + res.status);
        return;
      }
      var again = false;
      await readSse(res, function (frame) {
        if (frame.event === "message") {
          var item = JSON.parse(frame.data);
          last = item.seq;
          list.append(timelineRow(item));
          while (list.childElementCount > TIMELINE_MAX) list.firstElementChild.remove();
        } else if (frame.event === "end") {
          var summary = JSON.parse(frame.data);
          var st = $("timeline-status");
          st.className = statusClass(summary.status);
          st.textContent = printable(summary.status);
        } else if (frame.event === "overflow") {
          again = true;
        }
      });
      if (!again) return;
    }
  }

  function selectRun(runId) {
    selected = runId;
    if (timelineAbort) timelineAbort.abort();
    timelineAbort = new AbortController();
    $("timeline-view").hidden = false;
    $("timeline-run").textContent = printable(runId, 64);
    var st = $("timeline-status");
    st.className = "status status-running";
    st.textContent = "following";
    $("timeline").replaceChildren();
    Array.prototype.forEach.call($("runs-body").children, function (tr) {
      tr.className = tr.dataset.run === runId ? "selected" : "";
    });
    followRun(runId, timelineAbort.signal, generation).catch(function (err) {
      if (err instanceof AuthRefused || (err && err.name === "AbortError")) return;
      $("timeline-status").textContent = printable("stream stopped: " + err.message);
    });
  }

  // ---- pending clearances and approvals ----

  async function decide(item, node, action) {
    var body = { action: action, run: item.run };
    if (item.kind === "clearance") {
      body.host = item.host;
      body.port = item.port;
      body.scope = node.querySelector("select.scope").value;
    }
    var reason = node.querySelector("input.reason").value.trim();
    if (reason) body.reason = reason;
    node.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    var result = node.querySelector(".result");
    result.textContent = "sending\u2026";
    try {
      var res = await api("/v1/pending/" + encodeURIComponent(item.id), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      var answer = await res.json().catch(function () { return {}; });
      if (res.ok) {
        node.classList.add("decided");
        result.textContent = printable(action + (body.scope ? " (" + body.scope + ")" : "") +
          ": done");
      } else {
        result.textContent = printable("Refused (" + res.status + " " + (answer.error || "") +
          ")" + (answer.message ? ": " + answer.message : ""));
        node.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      }
    } catch (err) {
      if (err instanceof AuthRefused) return;
      result.textContent = printable("Cannot send the verdict: " + err.message);
      node.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    }
    refreshPending().catch(function () {});
  }

  function button(className, label, onClick) {
    var b = el("button", className, label);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  function pendingNode(item) {
    var li = el("li", "pending-item");
    li.dataset.id = printable(item.id, 128);
    var what = el("div", "what");
    what.append(el("span", "kind", item.kind), document.createTextNode(" "));
    if (item.kind === "clearance") {
      what.append(el("span", "host mono", item.host + ":" + item.port));
    } else {
      what.append(el("span", "summary", item.summary || "run paused for a verdict"));
    }
    var meta = el("div", "meta muted");
    meta.append(
      document.createTextNode("run "),
      el("code", "run", item.run),
      el("span", "deadline", ""),
    );
    if (item.kind === "clearance" && item.summary) meta.append(el("div", "summary", item.summary));
    var actions = el("div", "actions");
    var decideWith = function (action) {
      return function () { decide(item, li, action); };
    };
    if (item.kind === "clearance") {
      var label = el("label", "", "scope ");
      var select = el("select", "scope");
      ["once", "run", "persist"].forEach(function (s) {
        var o = el("option", "", s);
        o.value = s;
        select.append(o);
      });
      label.append(select);
      actions.append(
        label,
        button("allow", "Allow", decideWith("allow")),
        button("deny", "Deny", decideWith("deny")),
      );
    } else {
      actions.append(
        button("approve", "Approve", decideWith("approve")),
        button("reject", "Reject", decideWith("reject")),
      );
    }
    var reason = el("input", "reason");
    reason.placeholder = "reason (optional)";
    reason.maxLength = 200;
    reason.setAttribute("aria-label", "reason");
    actions.append(reason);
    li.append(what, meta, actions, el("div", "result"));
    return li;
  }

  function updateDeadline(node, item) {
    var d = node.querySelector(".deadline");
    if (!item.deadline_at) {
      d.textContent = "";
      return;
    }
    var left = Math.round((Date.parse(item.deadline_at) - Date.now()) / 1000);
    d.textContent = isFinite(left)
      ? (left > 0 ? " \u00b7 denied in " + left + " s" : " \u00b7 expired: a verdict applies to the next request")
      : "";
  }

  function renderPending(items) {
    var list = $("pending-list");
    var seen = new Set();
    items.forEach(function (item) {
      var id = String(item.id);
      seen.add(id);
      var node = pendingNodes.get(id);
      if (!node) {
        node = pendingNode(item);
        pendingNodes.set(id, node);
        list.append(node);
      }
      updateDeadline(node, item);
    });
    pendingNodes.forEach(function (node, id) {
      if (!seen.has(id)) {
        node.remove();
        pendingNodes.delete(id);
      }
    });
    $("pending-empty").hidden = items.length > 0;
    $("pending-count").textContent = items.length ? "(" + items.length + ")" : "";
  }

  async function refreshPending() {
    var res = await api("/v1/pending");
    if (!res.ok) throw new Error("GET /v1/pending answered " + res.status);
    var body = await res.json();
    renderPending(Array.isArray(body.pending) ? body.pending : []);
  }

  // ---- loops ----

  function every(ms, fn, mine) {
    var tick = function () {
      if (mine !== generation) return;
      fn().then(function () {
        $("conn").textContent = "connected";
        notice("");
      }, function (err) {
        if (err instanceof AuthRefused) return;
        $("conn").textContent = "";
        notice("Cannot reach zu serve: " + err.message);
      }).then(function () {
        if (mine === generation) setTimeout(tick, ms);
      });
    };
    tick();
  }

  async function followAll(mine) {
    // Every event of every run: refresh the runs list soon after one arrives.
    var soon = null;
    while (mine === generation) {
      globalAbort = new AbortController();
      try {
        var res = await api("/v1/events", { signal: globalAbort.signal });
        if (!res.ok) return;
        await readSse(res, function (frame) {
          if (frame.event !== "message") return;
          var type = "";
          try { type = String(JSON.parse(frame.data).event.type); } catch (_e) { type = ""; }
          // A new clearance or a paused run: show it now rather than at the next poll.
          if (/^harness\.(egress\.pending|egress\.clearance|approval\.|run\.)/.test(type)) {
            refreshPending().catch(function () {});
          }
          if (soon === null) {
            soon = setTimeout(function () {
              soon = null;
              refreshRuns().catch(function () {});
            }, 200);
          }
        });
      } catch (err) {
        if (err instanceof AuthRefused || (err && err.name === "AbortError")) return;
      }
      await new Promise(function (r) { setTimeout(r, 2000); });
    }
  }

  function start() {
    generation++;
    var mine = generation;
    $("login").hidden = true;
    $("app").hidden = false;
    $("forget").hidden = false;
    every(RUNS_EVERY_MS, refreshRuns, mine);
    every(PENDING_EVERY_MS, refreshPending, mine);
    followAll(mine);
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("token-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var value = $("token-input").value.trim();
      if (!value) return;
      token = value;
      try { sessionStorage.setItem(KEY, value); } catch (_e) { /* this page only */ }
      $("token-input").value = "";
      notice("");
      start();
    });
    $("forget").addEventListener("click", function () {
      token = null;
      try { sessionStorage.removeItem(KEY); } catch (_e) { /* nothing stored */ }
      showLogin("");
    });
    token = readToken();
    if (token) start();
    else showLogin("");
  });
})();
`;
