// The ferry console: small Alpine.js components over the JSON control API (/api/...).
// Values from the API reach the page only through x-text/x-model (text, never HTML) or the SVG
// builders below, which set text with textContent, so nothing a record holds can run as code.
"use strict";

const ferry = {
  csrf: document.querySelector('meta[name="csrf"]')?.content || "",

  async api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRF-Token"] = ferry.csrf;
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
    } catch (e) {
      Alpine.store("net").lost("ferry is not answering; retrying…");
      throw new Error("ferry is not answering (is `ferry run` still running?)");
    }
    if (response.status === 401 && !path.startsWith("/api/session")) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      throw new Error("Logged out");
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text }; }
    if (response.status >= 500) Alpine.store("net").lost("ferry answered with an error: " + ferry.message(data, response));
    else Alpine.store("net").ok();
    if (!response.ok) throw new Error(ferry.message(data, response));
    return data;
  },
  get: (path) => ferry.api("GET", path),
  post: (path, body) => ferry.api("POST", path, body === undefined ? {} : body),

  message(data, response) {
    const detail = data && data.detail;
    if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
    return detail || `${response.status} ${response.statusText}`;
  },

  when(ts) { return ts ? new Date(ts).toLocaleString() : "—"; },
  ago(ts) {
    if (!ts) return "—";
    const s = (Date.now() - new Date(ts).getTime()) / 1000;
    return s < 60 ? `${Math.max(0, Math.round(s))} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : s < 86400 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86400)} d ago`;
  },
  secs(s) {
    if (s === null || s === undefined) return "—";
    return s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`;
  },
  json(v) { return JSON.stringify(v, null, 2); },
  // A value typed as JSON (a number, true, null, "quoted") is sent as that; anything else as text.
  typed(text) { try { return JSON.parse(text); } catch (e) { return text; } },
  param(name) { return new URLSearchParams(location.search).get(name) || ""; },
  data(name) { return document.querySelector("main").dataset[name] || ""; },
  recordUrl(sync, side, id) { return `/records/${encodeURIComponent(sync)}/${side}/${id.split("/").map(encodeURIComponent).join("/")}`; },
  apiPath(...parts) { return parts.map((p) => String(p).split("/").map(encodeURIComponent).join("/")).join("/"); },

  // --- SVG, built with the DOM so text stays text ---------------------------------------------
  el(tag, attrs, text) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  },

  // A bar chart of one series: bars for `key`, optional red overlay for `bad`.
  chart(target, buckets, key, bad) {
    target.replaceChildren();
    const w = 600, h = 120, n = Math.max(buckets.length, 1);
    const top = Math.max(1, ...buckets.map((b) => b[key] || 0));
    const svg = ferry.el("svg", { class: "chart", viewBox: `0 0 ${w} ${h}`, preserveAspectRatio: "none" });
    buckets.forEach((b, i) => {
      const x = (i / n) * w, bw = Math.max(1, w / n - 1);
      const v = b[key] || 0, bh = (v / top) * (h - 14);
      const bar = ferry.el("rect", { x, y: h - bh, width: bw, height: bh, fill: "#1f6feb", opacity: 0.75 });
      bar.appendChild(ferry.el("title", {}, `${new Date(b.start).toLocaleString()}: ${v}`));
      svg.appendChild(bar);
      if (bad && b[bad]) {
        const fh = (b[bad] / top) * (h - 14);
        svg.appendChild(ferry.el("rect", { x, y: h - fh, width: bw, height: fh, fill: "#c4320a" }));
      }
    });
    svg.appendChild(ferry.el("text", { x: 4, y: 11, "font-size": 10, fill: "#667085" }, `max ${top}`));
    target.appendChild(svg);
  },

  box(svg, x, y, w, h, title, sub, tone, dashed) {
    const rect = { x, y, width: w, height: h, rx: 8, fill: tone || "#f1f5ff", stroke: "#9db8f5" };
    if (dashed) rect["stroke-dasharray"] = "5 4";  // a step that runs only when its condition holds
    svg.appendChild(ferry.el("rect", rect));
    svg.appendChild(ferry.el("text", { x: x + w / 2, y: y + (sub ? h / 2 - 4 : h / 2 + 4), "text-anchor": "middle", "font-weight": 600, "font-size": 13 }, title));
    if (sub) svg.appendChild(ferry.el("text", { x: x + w / 2, y: y + h / 2 + 13, "text-anchor": "middle", "font-size": 11, fill: "#667085" }, sub.length > 42 ? sub.slice(0, 40) + "…" : sub));
  },
  arrow(svg, x1, y1, x2, y2, label) {
    svg.appendChild(ferry.el("line", { x1, y1, x2, y2, stroke: "#667085", "stroke-width": 1.5, "marker-end": "url(#arrow)" }));
    if (label) svg.appendChild(ferry.el("text", { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 6, "text-anchor": "middle", "font-size": 11, fill: "#667085" }, label));
  },
  canvas(target, w, h) {
    target.replaceChildren();
    const svg = ferry.el("svg", { class: "diagram", viewBox: `0 0 ${w} ${h}`, height: h });
    const defs = ferry.el("defs");
    const marker = ferry.el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
    marker.appendChild(ferry.el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#667085" }));
    defs.appendChild(marker);
    svg.appendChild(defs);
    target.appendChild(svg);
    return svg;
  },

  // A sync: left system -> mapping -> right system, arrows per direction it flows.
  syncDiagram(target, flow) {
    const svg = ferry.canvas(target, 760, 150);
    ferry.box(svg, 10, 40, 200, 70, flow.left.connection, flow.left.entity);
    ferry.box(svg, 300, 40, 160, 70, "ferry", `${flow.trigger}`, "#eefbf4");
    ferry.box(svg, 550, 40, 200, 70, flow.right.connection, flow.right.entity);
    const toRight = flow.direction !== "right_to_left", toLeft = flow.direction !== "left_to_right";
    if (toRight) { ferry.arrow(svg, 212, 62, 298, 62, "changes"); ferry.arrow(svg, 462, 62, 548, 62, "writes"); }
    if (toLeft) { ferry.arrow(svg, 548, 90, 462, 90, "changes"); ferry.arrow(svg, 298, 90, 212, 90, "writes"); }
    svg.appendChild(ferry.el("text", { x: 380, y: 135, "text-anchor": "middle", "font-size": 11, fill: "#667085" }, `conflicts: ${flow.conflicts}`));
  },

  // A workflow: its trigger, then its steps top to bottom; a branch's cases side by side.
  workflowDiagram(target, flow) {
    const rows = [];
    const place = (steps, col, width, depth) => {
      let row = depth;
      for (const step of steps) {
        rows.push({ step, col, width, row });
        row += 1;
        if (step.branches.length) {
          const cw = width / step.branches.length;
          const ends = step.branches.map((b, i) => place(b, col + i * cw, cw, row));
          row = Math.max(row, ...ends);
        }
      }
      return row;
    };
    const end = place(flow.steps, 0, 1, 1);
    const W = 900, rowH = 64, h = (end + 1) * rowH;
    const svg = ferry.canvas(target, W, h);
    ferry.box(svg, W / 2 - 150, 8, 300, 44, "trigger", flow.trigger, "#eefbf4");
    let previous = { x: W / 2, y: 52 };
    const last = {};
    for (const r of rows) {
      const bw = Math.min(280, r.width * W - 16), x = r.col * W + (r.width * W - bw) / 2, y = r.row * rowH + 8;
      const from = last[r.col + ":" + r.width] || (r.row === 1 ? previous : { x: x + bw / 2, y: y - 18 });
      ferry.arrow(svg, from.x, from.y, x + bw / 2, y - 2);
      const title = `${r.step.name} · ${r.step.kind}` + (r.step.for_each ? " (each)" : "");
      const sub = r.step.when ? `when ${r.step.when}` : r.step.target || "";
      ferry.box(svg, x, y, bw, 44, title, sub, r.step.kind === "branch" ? "#fff7e6" : undefined, Boolean(r.step.when));
      last[r.col + ":" + r.width] = { x: x + bw / 2, y: y + 44 };
      previous = { x: x + bw / 2, y: y + 44 };
    }
  },
};

document.addEventListener("alpine:init", () => {
  Alpine.store("net", {
    down: false, text: "",
    lost(text) { this.down = true; this.text = text; },
    ok() { this.down = false; },
  });

  // Poll `load` every `every` ms while the page is open; errors show, and the next poll retries.
  const live = (every, extra) => ({
    error: "", loaded: false,
    async init() { await this.refresh(); if (every) setInterval(() => this.refresh(), every); },
    async refresh() {
      try { await this.load(); this.error = ""; } catch (e) { this.error = e.message; }
      this.loaded = true;
    },
    ...extra,
  });

  Alpine.data("login", () => ({
    name: "", password: "", error: "", busy: false,
    async submit() {
      this.busy = true; this.error = "";
      try {
        await ferry.api("POST", "/api/session", { name: this.name, password: this.password });
        const next = ferry.param("next");
        // Only a path on this server: "//host" and "/\host" would leave it (browsers read "\" as "/").
        location.href = /^\/(?![\/\\])/.test(next) ? next : "/";
      } catch (e) { this.error = e.message; }
      this.busy = false;
    },
  }));

  Alpine.data("logout", () => ({
    async out() { await ferry.api("DELETE", "/api/session"); location.href = "/login"; },
  }));

  Alpine.data("overview", () => live(3000, {
    syncs: [], connections: [], workflows: {}, flows: [], series: {}, window: "hour", seriesError: "",
    async load() {
      [this.syncs, this.connections, this.workflows] = await Promise.all([ferry.get("/api/syncs"), ferry.get("/api/connections"), ferry.get("/api/workflows")]);
      if (!this._charted || Date.now() - this._charted > 30000) await this.loadSeries();
    },
    async loadSeries() {
      this._charted = Date.now();
      try {
        const data = await ferry.get(`/api/overview?window=${this.window}`);
        this.series = Object.fromEntries((data.flows || []).map((f) => [f.name, f]));
        this._bucket = data.bucket_seconds;
        this.seriesError = "";
        this.$nextTick(() => this.draw());
      } catch (e) { this.seriesError = e.message; }
    },
    draw() {
      for (const node of this.$root.querySelectorAll("[data-chart]")) {
        const flow = this.series[node.dataset.chart];
        if (flow) ferry.chart(node, flow.buckets, "processed", "failed");
      }
    },
    setWindow(w) { this.window = w; this.loadSeries(); },
    // Throughput over the chosen window, per minute; and the share of the window's changes that failed.
    rate(name) {
      const f = this.series[name];
      if (!f || !f.buckets.length) return "—";
      const minutes = (f.buckets.length * this._bucket) / 60;
      return (f.totals.processed / minutes).toFixed(1);
    },
    errorRate(name) {
      const f = this.series[name];
      return f && f.totals.error_rate !== null && f.totals.error_rate !== undefined ? `${(f.totals.error_rate * 100).toFixed(1)}%` : "—";
    },
    runsOf(name) { return Object.entries(this.workflows[name] || {}).map(([s, n]) => `${n} ${s}`).join(", ") || "no runs yet"; },
    // A method, not a getter: the component is built by spreading objects, which would freeze a getter.
    total(key) { return this.syncs.reduce((a, s) => a + (s[key] || 0), 0); },
    health(c) { return c.circuit === "closed" ? "ok" : c.circuit === "open" ? "bad" : "warn"; },
    // ferry's own bucket, then what the system's last answer said is left (its *remaining* header).
    headroom(r) {
      const own = r.rate_per_second ? `${Math.floor(r.tokens)}/${r.burst} ready (${r.rate_per_second}/s)` : "no client limit";
      const entries = Object.entries(r.headers || {});
      const left = entries.find(([k]) => k.includes("remaining"));
      const limit = entries.find(([k]) => k.endsWith("limit") || k.endsWith("-limit"));
      return left ? `${own}; system: ${left[1]}${limit ? " of " + limit[1] : ""} left` : own;
    },
  }));

  Alpine.data("flows", () => live(0, {
    flows: [],
    async load() { this.flows = await ferry.get("/api/flows"); },
  }));

  Alpine.data("flow", () => live(0, {
    flow: null, status: null,
    async load() {
      this.flow = await ferry.get(ferry.apiPath("/api/flows", ferry.data("name")));
      this.$nextTick(() => {
        const node = this.$root.querySelector("#diagram");
        if (this.flow.kind === "sync") ferry.syncDiagram(node, this.flow); else ferry.workflowDiagram(node, this.flow);
      });
    },
  }));

  Alpine.data("runs", () => live(5000, {
    runs: [], workflow: ferry.param("workflow"), state: ferry.param("state"),
    async load() {
      const q = new URLSearchParams();
      if (this.workflow) q.set("workflow", this.workflow);
      if (this.state) q.set("state", this.state);
      this.runs = await ferry.get(`/api/workflows/runs?${q}`);
    },
  }));

  Alpine.data("run", () => live(5000, {
    run: null, reason: "", notice: "",
    async load() { this.run = await ferry.get(`/api/workflows/runs/${Number(ferry.data("id"))}`); },
    async act(what) {
      try {
        await ferry.post(`/api/workflows/runs/${this.run.id}/${what}`, what === "cancel" ? { reason: this.reason } : undefined);
        this.notice = what === "retry" ? "Retried: the run resumes at the step that stopped it." : "Cancelled.";
        await this.load();
      } catch (e) { this.error = e.message; }
    },
  }));

  Alpine.data("deadLetters", () => live(5000, {
    letters: [], groups: [], sync: ferry.param("sync"), selected: [], reason: "", notice: "",
    async load() {
      const q = this.sync ? "?sync=" + encodeURIComponent(this.sync) : "";
      [this.letters, this.groups] = await Promise.all([ferry.get(`/api/dead-letters${q}`), ferry.get(`/api/dead-letters/groups${q}`)]);
      const open = new Set(this.letters.map((d) => String(d.id)));
      this.selected = this.selected.filter((id) => open.has(String(id)));
    },
    async bulk(what, selection) {
      try {
        const done = await ferry.post(`/api/dead-letters/${what}`, selection);
        const others = done.letters.filter((l) => !["replayed", "dropped"].includes(l.outcome));
        this.notice = `${done.done} letter(s) ${what === "replay" ? "replayed" : "discarded"}` + (others.length ? `; ${others.map((l) => `${l.id}: ${l.outcome}`).join(", ")}` : ".");
        this.selected = []; await this.load();
      } catch (e) { this.error = e.message; }
    },
  }));

  Alpine.data("deadLetter", () => live(0, {
    letter: null, payload: "", reason: "", notice: "", overrides: [], targets: [],
    async load() {
      this.letter = await ferry.get(`/api/dead-letters/${Number(ferry.data("id"))}`);
      this.payload = ferry.json(this.letter.payload);
      try {
        const flow = await ferry.get(ferry.apiPath("/api/flows", this.letter.sync));
        const mapping = (flow.mappings || []).find((m) => m.source === this.letter.side);
        this.targets = mapping ? mapping.fields.map((f) => f.target) : [];
      } catch (e) { this.targets = []; }
    },
    async replay(how) {
      this.error = ""; this.notice = "";
      const body = {};
      if (how.payload) {
        try { body.payload = JSON.parse(this.payload); } catch (e) { this.error = `The record is not valid JSON: ${e.message}`; return; }
      }
      if (how.overrides) body.overrides = Object.fromEntries(this.overrides.filter((o) => o.field).map((o) => [o.field, ferry.typed(o.value)]));
      try { await ferry.post(`/api/dead-letters/${this.letter.id}/replay`, body); this.notice = "Replayed: ferry is processing the record again."; await this.load(); } catch (e) { this.error = e.message; }
    },
    async drop() {
      try { await ferry.post(`/api/dead-letters/${this.letter.id}/drop`, { reason: this.reason }); this.notice = "Discarded."; await this.load(); } catch (e) { this.error = e.message; }
    },
  }));

  Alpine.data("reviews", () => live(5000, {
    list: [], state: "open",
    async load() { this.list = await ferry.get(`/api/reviews?state=${this.state}`); },
  }));

  Alpine.data("review", () => live(0, {
    review: null, choice: {}, custom: {}, reason: "", notice: "",
    async load() {
      this.review = await ferry.get(`/api/reviews/${Number(ferry.data("id"))}`);
      this.review.fields.sort((a, b) => Number(b.differs) - Number(a.differs));  // what needs a choice first
      for (const f of this.review.fields) if (f.differs && !(f.field in this.choice)) { this.choice[f.field] = ""; this.custom[f.field] = ""; }
    },
    show(v) { return v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v); },
    async resolve() {
      const choices = {};
      for (const f of this.review.fields.filter((x) => x.differs)) {
        const c = this.choice[f.field];
        if (!c) { this.error = `Choose what to keep for ${f.field}.`; return; }
        choices[f.field] = c === "value" ? { value: ferry.typed(this.custom[f.field]) } : c;
      }
      try {
        const done = await ferry.post(`/api/reviews/${this.review.id}/resolve`, { choices });
        this.notice = `Resolved: ${done.writes.length} write(s) queued.` + (done.notes.length ? " " + done.notes.join(" ") : "");
        this.error = ""; await this.load();
      } catch (e) { this.error = e.message; }
    },
    async dismiss() {
      try { await ferry.post(`/api/reviews/${this.review.id}/dismiss`, { reason: this.reason }); this.notice = "Dismissed."; await this.load(); } catch (e) { this.error = e.message; }
    },
  }));

  Alpine.data("records", () => live(0, {
    q: ferry.param("q"), sync: ferry.param("sync"), side: ferry.param("side") || "left", id: ferry.param("id"), matches: [],
    async load() {
      if (!this.q) return;
      this.matches = await ferry.get(`/api/records/search?q=${encodeURIComponent(this.q)}`);
    },
    search() { history.replaceState(null, "", `?q=${encodeURIComponent(this.q)}`); this.refresh(); },
  }));

  Alpine.data("record", () => live(10000, {
    lineage: null,
    async load() {
      this.lineage = await ferry.get(ferry.apiPath("/api/lineage", ferry.data("sync"), ferry.data("side"), ferry.data("id")));
    },
    tone(e) { return e.kind.startsWith("dead-letter") && e.kind !== "dead-letter-resolved" ? "bad" : e.kind === "write" ? "ok" : ""; },
    show(v) { return v === null || v === undefined ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v); },
  }));

  Alpine.data("alerts", () => live(5000, {
    list: [], rules: [], channels: [], state: "firing", notice: "",
    async load() {
      [this.list, this.rules, this.channels] = await Promise.all([
        ferry.get(`/api/alerts?state=${this.state}`), ferry.get("/api/alert-rules"), ferry.get("/api/alert-channels"),
      ]);
    },
    async ack(a) {
      try { await ferry.post(`/api/alerts/${a.id}/acknowledge`); this.notice = `Acknowledged ${a.rule}.`; await this.load(); } catch (e) { this.error = e.message; }
    },
    async test(c) {
      try {
        const r = await ferry.post(ferry.apiPath("/api/alert-channels", c.name, "test"));
        if (r.delivered) { this.notice = `A test message reached ${c.name}.`; this.error = ""; } else this.error = `The test did not reach ${c.name}: ${r.error}`;
      } catch (e) { this.error = e.message; }
    },
  }));

  Alpine.data("reconciliations", () => live(5000, {
    syncs: [], latest: {}, recent: [],
    async load() {
      const [flows, data] = await Promise.all([ferry.get("/api/flows"), ferry.get("/api/reconciliations")]);
      this.syncs = flows.filter((f) => f.kind === "sync").map((f) => f.name);
      this.latest = data.latest; this.recent = data.recent;
    },
    async start(sync) {
      try { const started = await ferry.post("/api/reconciliations", { sync }); location.href = started.url; } catch (e) { this.error = e.message; }
    },
  }));

  Alpine.data("reconciliation", () => live(2000, {
    report: null, items: [], notice: "", busy: false,
    async load() {
      if (this.report && this.report.state !== "running") return;  // a finished report does not change by itself
      await this.fetch();
    },
    async fetch() {
      this.report = await ferry.get(`/api/reconciliations/${Number(ferry.data("id"))}?limit=500`);
      this.items = this.report.items || [];
    },
    async heal() {
      this.busy = true;
      try {
        const done = await ferry.post(`/api/reconciliations/${this.report.id}/heal`);
        this.notice = `${done.queued} fix(es) queued: the engine applies them now. Compare again to confirm.`;
        await this.fetch();
      } catch (e) { this.error = e.message; }
      this.busy = false;
    },
  }));

  Alpine.data("designer", () => live(0, {
    m: null, direction: ferry.param("direction") || "left_to_right", rows: [], original: {}, filter: "", newTarget: "",
    focused: null, results: [], problems: [], diff: "", notice: "",
    async load() {
      this.m = await ferry.get(`${ferry.apiPath("/api/flows", ferry.data("name"), "designer")}?direction=${this.direction}`);
      this.rows = this.m.fields.map((f) => ({ ...f }));
      this.original = Object.fromEntries(this.m.fields.map((f) => [f.target, f.expression]));
      this.results = []; this.problems = []; this.diff = "";
      await this.preview();
    },
    sourceFields() {
      const known = this.m.source.fields.map((f) => f.name);
      const seen = Object.keys(this.m.samples[0] || {}).filter((k) => !known.includes(k)).map((name) => ({ name, type: "" }));
      return [...this.m.source.fields, ...seen].filter((f) => f.name.toLowerCase().includes(this.filter.toLowerCase()));
    },
    sampleOf(name) {
      const v = (this.m.samples.find((s) => s[name] !== null && s[name] !== undefined) || {})[name];
      return v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    },
    unmappedTargets() { const used = new Set(this.rows.map((r) => r.target)); return this.m.target.fields.filter((f) => !used.has(f.name)); },
    failed(target) { return this.results.some((r) => target in r.errors); },
    // Clicking a source field puts its path into the expression last focused.
    insert(name) {
      if (this.focused === null) { this.error = "Click an expression first, then the source field to put in it."; return; }
      const row = this.rows[this.focused];
      row.expression = row.expression ? `${row.expression} ${name}` : name;
      this.preview();
    },
    dropped(i, event) { this.focused = i; this.$nextTick(() => this.preview()); },
    add() { this.rows.push({ target: this.newTarget, expression: "", suggestions: [] }); this.focused = this.rows.length - 1; this.newTarget = ""; },
    async suggestFor(row) {
      try {
        const q = new URLSearchParams({ target: row.target, direction: this.direction });
        const found = await ferry.get(`${ferry.apiPath("/api/flows", ferry.data("name"), "suggestions")}?${q}`);
        row.suggestions = found.suggestions;
        if (!found.suggestions.length) this.notice = `No likely source field for ${row.target}.`;
      } catch (e) { this.error = e.message; }
    },
    remove(i) { this.rows.splice(i, 1); this.preview(); },
    changes() {
      const now = Object.fromEntries(this.rows.map((r) => [r.target, r.expression]));
      const changed = {};
      for (const [t, e] of Object.entries(now)) if (this.original[t] !== e && e !== "") changed[t] = e;
      for (const t of Object.keys(this.original)) if (!(t in now)) changed[t] = null;
      return changed;
    },
    async preview() {
      try {
        // The server reads the samples again itself: JSON would turn their exact amounts into text.
        const out = await ferry.post(ferry.apiPath("/api/flows", ferry.data("name"), "designer", "preview"), { direction: this.direction, fields: this.changes() });
        this.problems = out.problems; this.results = out.rows; this.diff = out.diff; this.error = "";
      } catch (e) { this.error = e.message; }
    },
    async save() {
      try {
        const out = await ferry.api("PUT", ferry.apiPath("/api/flows", ferry.data("name"), "designer"), { direction: this.direction, fields: this.changes() });
        this.notice = `Saved ${out.file}; it takes effect ${out.applies}.`;
        await this.load();
      } catch (e) { this.error = e.message; }
    },
  }));

  Alpine.data("admin", () => live(0, {
    users: [], actions: [], connections: [], secrets: [], name: "", role: "viewer", password: "", notice: "", token: "",
    secretName: "", secretValue: "", pauseReason: "", editing: null, rows: [], newKey: "", newValue: "", diff: "",
    async load() {
      [this.users, this.actions, this.connections, this.secrets] = await Promise.all([
        ferry.get("/api/users"), ferry.get("/api/actions?limit=100"), ferry.get("/api/connections"), ferry.get("/api/secrets").catch(() => []),
      ]);
    },
    async circuit(c, what) {
      try {
        await ferry.post(ferry.apiPath("/api/connections", c.connection, what), what === "pause" ? { reason: this.pauseReason } : undefined);
        this.notice = `${c.connection} ${what === "pause" ? "paused" : "resumed"}.`; await this.load();
      } catch (e) { this.error = e.message; }
    },
    async edit(name) {
      try {
        this.editing = await ferry.get(ferry.apiPath("/api/connections", name, "settings"));
        const text = (v) => (typeof v === "string" ? v : JSON.stringify(v));
        this.rows = Object.entries(this.editing.settings).map(([key, v]) => ({ key, value: text(v), was: text(v) }));
        this.diff = "";
      } catch (e) { this.error = e.message; }
    },
    async saveSettings() {
      const settings = {};
      for (const r of this.rows) if (r.value !== r.was) settings[r.key] = r.value === "" ? null : ferry.typed(r.value);
      if (!Object.keys(settings).length) { this.error = "Nothing was changed."; return; }
      try {
        const done = await ferry.api("PUT", ferry.apiPath("/api/connections", this.editing.connection, "settings"), { settings });
        this.notice = `Saved ${this.editing.connection}'s settings; they take effect ${done.applies}.`; this.error = "";
        this.diff = done.diff;
        this.rows.forEach((r) => { r.was = r.value; });
      } catch (e) { this.error = e.message; }
    },
    async setSecret() {
      try {
        const done = await ferry.api("PUT", ferry.apiPath("/api/secrets", this.secretName), { value: this.secretValue });
        this.notice = `Stored ${done.name}; it takes effect ${done.applies}.`; this.secretValue = ""; await this.load();
      } catch (e) { this.error = e.message; }
    },
    async add() {
      try {
        await ferry.post("/api/users", { name: this.name, role: this.role, password: this.password });
        this.notice = `Added ${this.name}.`; this.name = this.password = ""; await this.load();
      } catch (e) { this.error = e.message; }
    },
    async setRole(user, role) {
      try { await ferry.api("PUT", ferry.apiPath("/api/users", user.name), { role }); this.notice = `${user.name} is now ${role}.`; await this.load(); } catch (e) { this.error = e.message; await this.load(); }
    },
    async remove(user) {
      if (!confirm(`Remove ${user.name}?`)) return;
      try { await ferry.api("DELETE", ferry.apiPath("/api/users", user.name)); this.notice = `Removed ${user.name}.`; await this.load(); } catch (e) { this.error = e.message; }
    },
    async issue(user) {
      try { this.token = (await ferry.post(ferry.apiPath("/api/users", user.name, "tokens"), { label: "console" })).token; } catch (e) { this.error = e.message; }
    },
  }));
});
