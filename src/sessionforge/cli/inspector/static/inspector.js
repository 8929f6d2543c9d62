"use strict";
// The inspector's page. Session content is only ever set with textContent (never innerHTML), so a
// message holding markup stays text. Routes: /, /s/<id>, /s/<id>/m/<entry id>; ?ns=<namespace>.
(function () {
  const PAGE = 200;
  const DEFAULT_NS = document.body.dataset.namespace;
  const state = { rows: [], current: null, ns: DEFAULT_NS, offset: 0, total: 0, tab: "conversation",
    scale: "turn", chart: null, observer: null, seen: null, changedAt: 0 };

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin" });
    let body = {};
    try { body = await r.json(); } catch (e) { body = { error: r.statusText }; }
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  }
  const money = v => (v === null || v === undefined ? "-" : "$" + Number(v).toFixed(6));
  const when = iso => (iso ? new Date(iso).toLocaleString() : "");
  const nsQuery = ns => (ns && ns !== DEFAULT_NS ? "?ns=" + encodeURIComponent(ns) : "");
  const api = (id, tail, ns, extra) => {
    const q = new URLSearchParams(extra || {});
    if (ns && ns !== DEFAULT_NS) q.set("ns", ns);
    const s = q.toString();
    return "/api/sessions/" + encodeURIComponent(id) + (tail || "") + (s ? "?" + s : "");
  };
  function latency(ms) {
    if (ms === null || ms === undefined) return "";
    return ms >= 1000 ? (ms / 1000).toFixed(1) + " s" : Math.round(ms) + " ms";
  }

  // ---- the session list -------------------------------------------------------------------------
  function filterQuery() {
    const q = new URLSearchParams();
    const pairs = [["model", "f-model"], ["namespace", "f-namespace"], ["since", "f-since"],
      ["until", "f-until"], ["min_cost", "f-min-cost"], ["max_cost", "f-max-cost"]];
    for (const [key, id] of pairs) {
      const v = document.getElementById(id).value;
      if (v) q.set(key, v);
    }
    return q.toString();
  }
  function fillSelect(id, values) {
    const select = document.getElementById(id);
    const chosen = select.value;
    const have = new Set(Array.from(select.options).map(o => o.value));
    for (const v of values) if (!have.has(v)) { const o = el("option", null, v); o.value = v; select.appendChild(o); }
    select.value = chosen;
  }
  async function loadList() {
    let body;
    try { body = await getJSON("/api/sessions?" + filterQuery()); }
    catch (e) { document.getElementById("count").textContent = "error: " + e.message; return; }
    state.rows = body.sessions;
    const models = new Set();
    for (const r of body.sessions) for (const m of r.models) models.add(m);
    fillSelect("f-model", Array.from(models).sort());
    fillSelect("f-namespace", body.namespaces);
    buildTree(body.sessions);
  }
  function buildTree(rows) {
    const key = r => r.namespace + "\u0000" + r.id;
    const byKey = new Map(rows.map(r => [key(r), r]));
    const kids = new Map();
    const placed = new Set();
    for (const r of rows) {
      const parent = r.fork_of ? r.fork_of.session_id : r.parent_id;
      const pk = r.namespace + "\u0000" + parent;
      if (parent && byKey.has(pk) && pk !== key(r)) {
        if (!kids.has(pk)) kids.set(pk, []);
        kids.get(pk).push(key(r));
        placed.add(key(r));
      }
    }
    const render = (k, seen) => {
      const r = byKey.get(k);
      const li = el("li");
      const a = el("span", "node" + (r.error ? " broken" : ""));
      a.dataset.id = r.id;
      a.dataset.ns = r.namespace;
      a.appendChild(el("span", "badge " + r.kind, r.kind));
      a.appendChild(el("span", "sid", r.id));
      if (r.error) a.appendChild(el("div", "meta warning", "cannot be read: " + r.error));
      else a.appendChild(el("div", "meta", r.turns + " turns, " + r.total_tokens + " tokens, " + money(r.cost_usd) +
        (r.namespace !== DEFAULT_NS ? " · " + r.namespace : "")));
      a.addEventListener("click", () => navigate(r.id, r.namespace, null));
      li.appendChild(a);
      const children = (kids.get(k) || []).filter(c => !seen.has(c));
      if (children.length) {
        const ul = el("ul", "tree");
        for (const c of children) ul.appendChild(render(c, new Set([...seen, c])));
        li.appendChild(ul);
      }
      return li;
    };
    const tree = document.getElementById("tree");
    tree.replaceChildren();
    for (const r of rows) if (!placed.has(key(r))) tree.appendChild(render(key(r), new Set([key(r)])));
    const broken = rows.filter(r => r.error).length;
    document.getElementById("count").textContent = rows.length + " sessions" + (broken ? " (" + broken + " unreadable)" : "");
    markSelected();
  }
  function markSelected() {
    document.querySelectorAll(".node").forEach(n => n.classList.toggle("selected",
      !!state.current && n.dataset.id === state.current.id && n.dataset.ns === state.ns));
  }

  // ---- routing ----------------------------------------------------------------------------------
  function navigate(id, ns, entryId) {
    const path = "/s/" + encodeURIComponent(id) + (entryId ? "/m/" + encodeURIComponent(entryId) : "");
    history.pushState({}, "", path + nsQuery(ns));
    route();
  }
  function route() {
    const m = location.pathname.match(/^\/s\/([^/]+)(?:\/m\/([^/]+))?/);
    const ns = new URLSearchParams(location.search).get("ns") || DEFAULT_NS;
    document.getElementById("results").hidden = true;
    if (!m) return;
    show(decodeURIComponent(m[1]), ns, m[2] ? decodeURIComponent(m[2]) : null);
  }
  window.addEventListener("popstate", route);

  // ---- one session ------------------------------------------------------------------------------
  async function show(id, ns, entryId) {
    const box = document.getElementById("session");
    if (!state.current || state.current.id !== id || state.ns !== ns) box.replaceChildren(el("p", "meta", "loading…"));
    let s;
    try { s = await getJSON(api(id, "", ns)); }
    catch (e) { box.replaceChildren(el("p", "error", "error: " + e.message)); state.current = null; return; }
    state.current = s; state.ns = ns; state.total = s.total_entries; state.tab = "conversation";
    state.seen = s.updated_at + "/" + s.total_entries;
    markSelected();
    box.replaceChildren(...header(s));
    box.dataset.session = s.id;
    await showTab(entryId);
  }
  function header(s) {
    const out = [];
    const h = el("h2"); h.appendChild(el("span", "badge " + s.kind, s.kind)); h.appendChild(el("span", "sid", s.id));
    out.push(h);
    const facts = [s.messages + " messages", s.turns + " turns", s.calls + " model calls", s.total_tokens + " tokens",
      money(s.cost_usd) + " total"];
    if (s.models.length) facts.push(s.models.join(", "));
    out.push(el("div", "meta facts", facts.join(" · ")));
    out.push(el("div", "meta", "created " + when(s.created_at) + " · updated " + when(s.updated_at)));
    const links = [];
    if (s.fork_of) links.push(["forked from", [s.fork_of.session_id], " at record " + s.fork_of.seq]);
    if (s.parent_id) links.push(["parent", [s.parent_id], ""]);
    if (s.child_ids.length) links.push(["children", s.child_ids, ""]);
    if (s.branches.length) links.push(["forks", s.branches, ""]);
    for (const [label, ids, tail] of links) {
      const p = el("div", "meta links", label + ": ");
      ids.forEach((cid, i) => {
        const a = el("a", "sid", cid); a.href = "/s/" + encodeURIComponent(cid) + nsQuery(state.ns);
        a.addEventListener("click", ev => { ev.preventDefault(); navigate(cid, state.ns, null); });
        if (i) p.appendChild(document.createTextNode(", "));
        p.appendChild(a);
      });
      if (tail) p.appendChild(document.createTextNode(tail));
      out.push(p);
    }
    const scale = el("div", "scale", "chart by ");
    for (const mode of ["turn", "time"]) {
      const b = el("button", mode === state.scale ? "on" : "", mode);
      b.type = "button"; b.dataset.scale = mode;
      b.addEventListener("click", () => { state.scale = mode; drawChart(state.current); scale.querySelectorAll("button").forEach(x => x.classList.toggle("on", x === b)); });
      scale.appendChild(b);
    }
    out.push(scale);
    const chartBox = el("div"); chartBox.id = "chart-box"; out.push(chartBox);
    const tabs = el("div", "tabs");
    const names = [["conversation", "conversation"]];
    if (s.fork_of) names.push(["compare", "side by side with " + s.fork_of.session_id]);
    for (const [tab, label] of names) {
      const b = el("button", tab === state.tab ? "on" : "", label);
      b.type = "button"; b.dataset.tab = tab;
      b.addEventListener("click", () => { state.tab = tab; tabs.querySelectorAll("button").forEach(x => x.classList.toggle("on", x === b)); showTab(null); });
      tabs.appendChild(b);
    }
    out.push(tabs);
    out.push(el("div", "tab-body"));
    requestAnimationFrame(() => drawChart(s));
    return out;
  }
  async function showTab(entryId) {
    const body = document.querySelector("#session .tab-body");
    if (!body) return;
    if (state.tab === "compare") return showCompare(body);
    await loadEntries(body, entryId ? { around: entryId, limit: PAGE } : { offset: 0, limit: PAGE }, entryId);
  }
  async function loadEntries(body, params, entryId) {
    let page;
    try { page = await getJSON(api(state.current.id, "/entries", state.ns, params)); }
    catch (e) { body.replaceChildren(el("p", "error", "error: " + e.message)); return; }
    state.offset = page.offset; state.total = page.total;
    const conv = el("div", "conversation");
    for (const e of page.entries) conv.appendChild(entry(e));
    body.replaceChildren(pager(page), conv, pager(page));
    if (entryId) {
      const target = document.getElementById("m-" + entryId);
      if (target) { target.classList.add("target"); target.scrollIntoView({ block: "center" }); }
    }
  }
  function pager(page) {
    const box = el("div", "pager");
    const last = Math.max(0, Math.floor((page.total - 1) / page.limit) * page.limit);
    const go = offset => loadEntries(document.querySelector("#session .tab-body"), { offset: offset, limit: page.limit }, null);
    const button = (label, offset, enabled) => {
      const b = el("button", null, label); b.type = "button"; b.disabled = !enabled;
      b.addEventListener("click", () => go(offset)); return b;
    };
    box.appendChild(button("« first", 0, page.offset > 0));
    box.appendChild(button("‹ previous", Math.max(0, page.offset - page.limit), page.offset > 0));
    const shown = page.entries.length ? (page.offset + 1) + "–" + (page.offset + page.entries.length) : "0";
    box.appendChild(el("span", "range", "entries " + shown + " of " + page.total));
    box.appendChild(button("next ›", page.offset + page.limit, page.offset + page.limit < page.total));
    box.appendChild(button("last »", last, page.offset < last));
    return box;
  }
  function entry(e) {
    const div = el("div", "entry role-" + e.role);
    div.id = "m-" + e.id;
    div.dataset.kind = e.kind;
    div.dataset.id = e.id;
    const head = el("div", "head");
    head.appendChild(el("span", "role", e.role + (e.name ? " (" + e.name + ")" : "")));
    head.appendChild(el("time", "when", when(e.timestamp)));
    if (e.usage) head.appendChild(el("span", "cost", (e.usage.total_tokens ?? (e.usage.prompt_tokens || 0) + (e.usage.completion_tokens || 0)) + " tokens, " + money(e.usage.estimated_cost_usd) +
      (e.usage.model ? ", " + e.usage.model : "")));
    if (e.latency_ms !== undefined && e.latency_ms !== null) head.appendChild(el("span", "cost latency", "took " + latency(e.latency_ms)));
    const link = el("a", "permalink", "#");
    link.href = "/s/" + encodeURIComponent(state.current.id) + "/m/" + encodeURIComponent(e.id) + nsQuery(state.ns);
    link.title = "link to this message";
    head.appendChild(link);
    div.appendChild(head);
    if (e.kind === "compaction") {
      div.appendChild(el("div", "meta", e.action + ": " + e.before_tokens + " → " + e.after_tokens + " tokens, " + e.dropped + " messages left the view"));
      if (e.summary) div.appendChild(el("div", "summary", e.summary));
      const d = el("details", "compaction-view");
      d.appendChild(el("summary", null, "what the model saw vs what is stored"));
      d.addEventListener("toggle", () => { if (d.open && d.children.length === 1) loadCompaction(d, e.id); });
      div.appendChild(d);
    } else {
      div.appendChild(el("div", "text", e.text));
    }
    for (const c of (e.tool_calls || [])) div.appendChild(el("div", "toolcall", "→ " + c.name + "(" + JSON.stringify(c.arguments) + ")"));
    return div;
  }
  function line(e, cls) {
    const row = el("div", "entry role-" + e.role + (cls ? " " + cls : ""));
    const head = el("div", "head");
    head.appendChild(el("span", "role", e.role));
    head.appendChild(el("time", "when", when(e.timestamp)));
    row.appendChild(head);
    row.appendChild(el("div", "text", e.text || (e.tool_calls || []).map(c => "→ " + c.name).join(", ")));
    return row;
  }
  async function loadCompaction(box, eventId) {
    let c;
    try { c = await getJSON(api(state.current.id, "/compactions/" + encodeURIComponent(eventId), state.ns)); }
    catch (e) { box.appendChild(el("p", "error", "error: " + e.message)); return; }
    const cols = el("div", "columns");
    const saw = el("div", "saw"); saw.appendChild(el("h3", null, "the model saw " + c.saw_total + " messages"));
    for (const e of c.saw) saw.appendChild(line(e));
    const stored = el("div", "stored"); stored.appendChild(el("h3", null, "the store holds " + c.stored_total + " (struck: left the view)"));
    for (const e of c.stored) stored.appendChild(line(e, e.dropped ? "dropped" : ""));
    cols.appendChild(saw); cols.appendChild(stored);
    box.appendChild(cols);
  }
  async function showCompare(body) {
    let c;
    try { c = await getJSON(api(state.current.id, "/compare", state.ns)); }
    catch (e) { body.replaceChildren(el("p", "error", "error: " + e.message)); return; }
    const intro = el("p", "meta", c.shared + " entries shared up to record " + c.seq + " of " + c.parent_id + "; from there:");
    const cols = el("div", "columns compare");
    const left = el("div", "parent-side"); left.appendChild(el("h3", null, "parent " + c.parent_id));
    for (const e of c.parent) left.appendChild(line(e));
    if (!c.parent.length) left.appendChild(el("p", "meta", "nothing after the fork point"));
    const right = el("div", "fork-side"); right.appendChild(el("h3", null, "fork " + state.current.id));
    for (const e of c.fork) right.appendChild(line(e));
    if (!c.fork.length) right.appendChild(el("p", "meta", "nothing after the fork point"));
    cols.appendChild(left); cols.appendChild(right);
    body.replaceChildren(intro, cols);
  }

  // ---- the chart (uPlot, vendored) ----------------------------------------------------------------
  function drawChart(s) {
    const box = document.getElementById("chart-box");
    if (!box || !s) return;
    if (state.chart) { state.chart.destroy(); state.chart = null; }
    box.replaceChildren();
    const usage = s.usage || [];
    if (!usage.length) { box.appendChild(el("p", "meta", "no token usage recorded")); return; }
    const byTime = state.scale === "time" && usage.every(u => u.started_at);
    const xs = usage.map(u => byTime ? Date.parse(u.started_at) / 1000 : u.turn);
    const tokens = usage.map(u => u.total_tokens);
    const cost = usage.map(u => u.cumulative_cost_usd);
    const width = () => Math.max(240, box.clientWidth);
    const opts = {
      width: width(), height: 220,
      scales: {
        x: byTime ? { time: true } : { time: false, range: (u, lo, hi) => [lo - 0.5, hi + 0.5] },
        tokens: { range: (u, lo, hi) => [0, Math.max(1, hi) * 1.1] },
        usd: { range: (u, lo, hi) => [0, Math.max(1e-9, hi) * 1.1] },
      },
      axes: [
        byTime ? { label: "time" } : { label: "turn", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] },
        { scale: "tokens", label: "tokens per turn", size: 60 },
        { scale: "usd", side: 1, label: "cumulative USD", labelGap: 8, size: 90, grid: { show: false }, values: (u, v) => v.map(x => "$" + Number(x.toPrecision(2))) },
      ],
      series: [
        { label: byTime ? "time" : "turn", value: (u, v) => v === null ? "" : (byTime ? new Date(v * 1000).toLocaleTimeString() : "turn " + v) },
        { label: "tokens", scale: "tokens", stroke: "#3f6fb5", fill: "rgba(63,111,181,0.35)", paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false } },
        { label: "cumulative cost", scale: "usd", stroke: "#d9534f", width: 2, value: (u, v) => v === null ? "" : "$" + v.toFixed(6) },
      ],
    };
    state.chart = new uPlot(opts, [xs, tokens, cost], box);
    window.__chart = state.chart;
    if (state.observer) state.observer.disconnect();
    state.observer = new ResizeObserver(() => { if (state.chart) state.chart.setSize({ width: width(), height: 220 }); });
    state.observer.observe(box);
  }

  // ---- search -----------------------------------------------------------------------------------
  async function search(text) {
    const box = document.getElementById("results");
    if (!text.trim()) { box.hidden = true; return; }
    box.hidden = false;
    box.replaceChildren(el("p", "meta", "searching…"));
    let r;
    const ns = document.getElementById("f-namespace").value;
    try { r = await getJSON("/api/search?" + new URLSearchParams(ns ? { q: text, namespace: ns } : { q: text })); }
    catch (e) { box.replaceChildren(el("p", "error", "error: " + e.message)); return; }
    const out = [el("h2", null, r.hits.length + (r.hits.length === 50 ? "+" : "") + " matches for “" + text + "”")];
    for (const h of r.hits) {
      const div = el("div", "hit");
      div.dataset.session = h.session_id; div.dataset.entry = h.entry_id;
      const head = el("div", "meta");
      head.appendChild(el("span", "sid", h.session_id));
      head.appendChild(document.createTextNode(" · " + h.role + " · " + when(h.timestamp) + (h.namespace !== DEFAULT_NS ? " · " + h.namespace : "")));
      div.appendChild(head);
      const snip = el("div", "snippet");
      for (const [i, part] of h.snippet.split(/[\u0002\u0003]/).entries()) snip.appendChild(i % 2 ? el("mark", null, part) : document.createTextNode(part));
      div.appendChild(snip);
      div.addEventListener("click", () => navigate(h.session_id, h.namespace, h.entry_id));
      out.push(div);
    }
    box.replaceChildren(...out);
  }
  document.getElementById("search-form").addEventListener("submit", ev => { ev.preventDefault(); search(document.getElementById("search").value); });
  let searchTimer = null;
  document.getElementById("search").addEventListener("input", ev => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search(ev.target.value), 300);
  });
  for (const id of ["f-model", "f-namespace", "f-since", "f-until", "f-min-cost", "f-max-cost"]) {
    document.getElementById(id).addEventListener("change", loadList);
  }

  // ---- live refresh while a chat runs -------------------------------------------------------------
  async function poll() {
    if (document.hidden) return;
    if (state.current) {
      try {
        const s = await getJSON(api(state.current.id, "", state.ns));
        const seen = s.updated_at + "/" + s.total_entries;
        if (seen !== state.seen) {
          const atEnd = state.offset + PAGE >= state.total;
          state.seen = seen; state.changedAt = Date.now(); state.current = s; state.total = s.total_entries;
          const facts = document.querySelector("#session .facts");
          if (facts) facts.textContent = [s.messages + " messages", s.turns + " turns", s.calls + " model calls",
            s.total_tokens + " tokens", money(s.cost_usd) + " total"].concat(s.models.length ? [s.models.join(", ")] : []).join(" · ");
          drawChart(s);
          if (state.tab === "conversation" && atEnd) {
            const last = Math.max(0, Math.floor((s.total_entries - 1) / PAGE) * PAGE);
            await loadEntries(document.querySelector("#session .tab-body"), { offset: last, limit: PAGE }, null);
          }
        }
      } catch (e) { /* the next poll tries again */ }
    }
    const live = document.getElementById("live");
    live.textContent = Date.now() - state.changedAt < 30000 ? "● live: updated " + new Date(state.changedAt).toLocaleTimeString() : "";
  }
  setInterval(poll, 2000);
  setInterval(() => { if (!document.hidden && !document.activeElement.closest("#filters")) loadList(); }, 10000);

  loadList().then(route);
})();
