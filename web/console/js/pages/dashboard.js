// The dashboard (#/): the workspace's numbers (GET /api/v1/analytics/dashboard), activity over time
// (GET /api/v1/analytics/timeseries, by hour or by day, drawn as inline SVG) and a campaign's funnel
// (GET /api/v1/analytics/campaigns/{id}). Every number's definition is docs/analytics.md. It
// refreshes itself on the live `analytics.updated` event (debounced) and on `resync`.

import { api, listAll } from "../api.js";
import { h, mount, pageHeader, field, spinner, errorBox, debounce, formatNumber, formatPercent, formatMoney,
  badge } from "../ui.js";
import { live } from "../live.js";
import { hasRole } from "../app.js";

const SERIES = [
  { metric: "messagesReceived", label: "Messages received" },
  { metric: "messagesSent", label: "Messages sent" },
  { metric: "conversationsStarted", label: "Conversations started" },
  { metric: "conversions", label: "Conversions" },
];
const RANGES = [["7", "Last 7 days"], ["30", "Last 30 days"], ["90", "Last 90 days"]];

// Remembered while the console stays open: the range, the chart's granularity, the funnel's campaign.
const prefs = { days: "30", granularity: "day", campaignId: "" };
let tz = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
})();

function isoDate(d) {
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function range() {
  const to = new Date();
  const from = new Date();
  from.setDate(from.getDate() - (Number(prefs.days) - 1));
  return { from: isoDate(from), to: isoDate(to) };
}

// A GET with the browser's time zone, falling back to UTC when the server does not know it.
async function getTz(path, query) {
  try {
    return await api.get(path, { ...query, tz });
  } catch (err) {
    if (tz !== "UTC" && err.details && err.details.some((d) => d.field === "tz")) {
      tz = "UTC";
      return api.get(path, { ...query, tz });
    }
    throw err;
  }
}

function stat(label, value, sub) {
  return h("div", { class: "stat", dataset: { stat: label } },
    h("div", { class: "label" }, label),
    h("div", { class: "value" }, value),
    sub ? h("div", { class: "sub" }, sub) : null);
}

function money(list) {
  if (!list || !list.length) return formatMoney(0, "USD");
  return list.map((r) => formatMoney(r.amountMinor, r.currency)).join(" · ");
}

function seconds(s) {
  const n = Number(s || 0);
  if (!n) return "—";
  if (n < 90) return `${Math.round(n)} s`;
  if (n < 5400) return `${Math.round(n / 60)} min`;
  return `${(n / 3600).toFixed(1)} h`;
}

function renderStats(d) {
  const m = d.metrics || {};
  const sent = m.messagesSent || {};
  return h("div", null,
    h("div", { class: "grid stats" },
      stat("Campaigns", formatNumber(d.totalCampaigns), `${formatNumber(d.activeCampaigns)} active`),
      stat("Conversations", formatNumber(m.conversationsStarted), `${formatNumber(m.activeConversations)} open now`),
      stat("Response rate", formatPercent(m.responseRate), `avg. first reply ${seconds(m.avgFirstResponseSeconds)}`),
      stat("Conversions", formatNumber(m.conversions), `${formatPercent(m.conversionRate)} of conversations`),
      stat("Revenue", money(m.revenue), m.avgOrderValue && m.avgOrderValue.length
        ? `avg. order ${money(m.avgOrderValue)}` : "no orders yet")),
    h("dl", { class: "metric-list" },
      [
        ["Messages received", formatNumber(m.messagesReceived)],
        ["Messages sent", `${formatNumber(sent.total)} (AI ${formatNumber(sent.ai)}, agents ${formatNumber(sent.agent)})`],
        ["Avg. response time", seconds(m.avgResponseTimeSeconds)],
        ["Leads", formatNumber(m.leadsGenerated)],
        ["Qualified leads", formatNumber(m.qualifiedLeads)],
        ["AI hand-off rate", formatPercent(m.aiHandoffRate)],
        ["AI replies", formatNumber(m.aiReplies)],
        ["Failed deliveries", formatNumber(m.failedDeliveries)],
      ].map(([k, v]) => h("div", null, h("dt", null, k), h("dd", null, v)))));
}

function niceMax(v) {
  if (v <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}

function pointLabel(label, granularity) {
  if (granularity === "hour") return (label || "").slice(11, 16);
  const d = new Date(`${label}T12:00:00`);
  return Number.isNaN(d.getTime()) ? label : d.toLocaleDateString([], { month: "short", day: "numeric" });
}

function renderChart(ts, granularity) {
  const points = ts.points || [];
  if (!points.length) return h("p", { class: "empty" }, "No data for this range.");
  const W = 720, H = 220, L = 40, R = 12, T = 12, B = 28;
  const values = (p, metric) => Number((p.values || {})[metric] || 0);
  const max = niceMax(Math.max(0, ...points.flatMap((p) => SERIES.map((s) => values(p, s.metric)))));
  const x = (i) => L + (points.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (points.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const svg = (tag, attrs, ...kids) => h(`svg:${tag}`, attrs, ...kids);
  const total = SERIES.map((s) => points.reduce((a, p) => a + values(p, s.metric), 0));
  const summary = `Activity ${granularity === "hour" ? "by hour over the last 24 hours" : "by day"}: ` +
    SERIES.map((s, i) => `${s.label} ${formatNumber(total[i])}`).join(", ");
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = max * f;
    return svg("g", { class: "gridline" },
      svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v) }),
      svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, formatNumber(Math.round(v))));
  });
  const every = Math.max(1, Math.ceil(points.length / 8));
  const xLabels = points.map((p, i) => (i % every === 0 || i === points.length - 1) && (i === points.length - 1 || points.length - 1 - i >= every / 2)
    ? svg("text", { x: x(i), y: H - 8, "text-anchor": "middle", class: "xlabel" }, pointLabel(p.label, granularity)) : null);
  const lines = SERIES.map((s, si) => svg("g", { class: `series series-${si}` },
    svg("polyline", { points: points.map((p, i) => `${x(i).toFixed(1)},${y(values(p, s.metric)).toFixed(1)}`).join(" "), fill: "none" }),
    points.length <= 60 ? points.map((p, i) => svg("circle", { cx: x(i).toFixed(1), cy: y(values(p, s.metric)).toFixed(1), r: 3 },
      svg("title", null, `${s.label}, ${pointLabel(p.label, granularity)}: ${formatNumber(values(p, s.metric))}`))) : null));
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": summary },
    grid, svg("line", { class: "axis", x1: L, x2: W - R, y1: y(0), y2: y(0) }), xLabels, lines);
  const legend = h("ul", { class: "legend" }, SERIES.map((s, i) =>
    h("li", null, h("span", { class: `swatch series-${i}`, "aria-hidden": "true" }), s.label, h("strong", null, ` ${formatNumber(total[i])}`))));
  const table = h("details", { class: "chart-table" },
    h("summary", null, "Show the numbers"),
    h("div", { class: "table-wrap" }, h("table", null,
      h("thead", null, h("tr", null, h("th", { scope: "col" }, granularity === "hour" ? "Hour" : "Day"),
        SERIES.map((s) => h("th", { scope: "col", class: "num" }, s.label)))),
      h("tbody", null, points.map((p) => h("tr", null, h("td", null, pointLabel(p.label, granularity)),
        SERIES.map((s) => h("td", { class: "num" }, formatNumber(values(p, s.metric))))))))));
  const quiet = total.every((t) => t === 0)
    ? h("p", { class: "muted chart-note" }, "No activity in this range yet: it shows here as customers write and the AI answers.") : null;
  return h("div", null, legend, quiet, h("div", { class: "chart-box" }, chart), table);
}

function renderFunnel(a) {
  const steps = a.funnel || [];
  const started = steps.length ? Number(steps[0].count || 0) : 0;
  if (!started) {
    return h("p", { class: "empty" }, `No conversations for “${a.name || "this campaign"}” in this range yet.`);
  }
  const names = { started: "Started", engaged: "Engaged", qualified: "Qualified", converted: "Converted" };
  return h("ol", { class: "funnel", "aria-label": `Funnel of ${a.name}` }, steps.map((s) => {
    const count = Number(s.count || 0);
    const pct = started ? (count / started) * 100 : 0;
    return h("li", null,
      h("span", { class: "funnel-name" }, names[s.name] || s.name),
      h("span", { class: "funnel-track", "aria-hidden": "true" },
        h("span", { class: "funnel-bar", style: { width: `${Math.max(pct, count ? 2 : 0).toFixed(1)}%` } })),
      h("span", { class: "funnel-count" }, formatNumber(count),
        s.name === "started" ? null : h("small", { class: "muted", title: `${formatPercent(s.rate)} of the step before` }, ` ${formatPercent(s.overallRate)} of started`)));
  }));
}

export async function dashboard(root) {
  let alive = true;
  const statsBox = h("section", { class: "dash-stats", "aria-label": "Key numbers", "aria-busy": "true" }, spinner());
  const chartBox = h("div", { class: "chart-area" }, spinner());
  const funnelBox = h("div", { class: "funnel-area" }, spinner());
  const campaignSlot = h("div", { class: "funnel-pick" });

  const rangeField = field({ label: "Range", name: "range", type: "select", value: prefs.days, options: RANGES,
    onchange: (ev) => { prefs.days = ev.target.value; refreshAll(); } });
  rangeField.classList.add("inline-field");

  const granButtons = [["hour", "By hour"], ["day", "By day"]].map(([g, text]) => h("button", {
    type: "button", "aria-pressed": String(prefs.granularity === g), dataset: { granularity: g },
    onclick: () => {
      if (prefs.granularity === g) return;
      prefs.granularity = g;
      granButtons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.granularity === g)));
      loadChart(true);
    },
  }, text));

  mount(root,
    pageHeader("Dashboard", rangeField),
    statsBox,
    h("section", { class: "panel", "aria-labelledby": "dash-activity" },
      h("div", { class: "panel-head" },
        h("h2", { id: "dash-activity" }, "Activity"),
        h("div", { class: "toggle-group", role: "group", "aria-label": "Chart granularity" }, granButtons)),
      chartBox),
    h("section", { class: "panel", "aria-labelledby": "dash-funnel" },
      h("div", { class: "panel-head" }, h("h2", { id: "dash-funnel" }, "Campaign funnel"), campaignSlot),
      funnelBox));

  // Each part keeps what it shows while it reloads; a spinner only the first time.
  async function loadStats() {
    try {
      const d = await getTz("/api/v1/analytics/dashboard", range());
      if (alive) mount(statsBox, renderStats(d));
    } catch (err) {
      if (alive) mount(statsBox, errorBox(err));
    } finally {
      statsBox.removeAttribute("aria-busy");
    }
  }

  let chartSeq = 0;
  async function loadChart(showSpinner = false) {
    const seq = ++chartSeq;
    const g = prefs.granularity;
    if (showSpinner) mount(chartBox, spinner());
    try {
      const q = { granularity: g, metrics: SERIES.map((s) => s.metric).join(",") };
      if (g === "day") Object.assign(q, range());
      const ts = await getTz("/api/v1/analytics/timeseries", q);
      if (alive && seq === chartSeq) mount(chartBox, renderChart(ts, g));
    } catch (err) {
      if (alive && seq === chartSeq) mount(chartBox, errorBox(err));
    }
  }

  let campaigns = null;
  async function loadCampaigns() {
    try {
      campaigns = await listAll("/api/v1/campaigns", "campaigns", {}, 200);
    } catch (err) {
      campaigns = [];
      mount(funnelBox, errorBox(err));
      return false;
    }
    if (!campaigns.length) {
      mount(campaignSlot);
      mount(funnelBox, h("div", { class: "empty" },
        h("p", null, "No campaigns yet. A campaign tells the AI what it sells and how it talks."),
        hasRole("admin") ? h("a", { class: "button primary", href: "#/campaigns/new" }, "New campaign") : null));
      return false;
    }
    if (!campaigns.some((c) => c.id === prefs.campaignId)) {
      const active = campaigns.find((c) => c.status === "active");
      prefs.campaignId = (active || campaigns[0]).id;
    }
    const pick = field({ label: "Campaign", name: "campaignId", type: "select", value: prefs.campaignId,
      options: campaigns.map((c) => [c.id, `${c.name} (${c.status})`]),
      onchange: (ev) => { prefs.campaignId = ev.target.value; loadFunnel(true); } });
    pick.classList.add("inline-field");
    mount(campaignSlot, pick);
    return true;
  }

  let funnelSeq = 0;
  async function loadFunnel(showSpinner = false) {
    if (!campaigns) {
      if (!(await loadCampaigns())) return;
    }
    if (!campaigns.length) return;
    const seq = ++funnelSeq;
    if (showSpinner) mount(funnelBox, spinner());
    try {
      const a = await getTz(`/api/v1/analytics/campaigns/${encodeURIComponent(prefs.campaignId)}`, range());
      if (!alive || seq !== funnelSeq) return;
      const c = campaigns.find((x) => x.id === prefs.campaignId);
      mount(funnelBox,
        h("p", { class: "funnel-meta" }, badge(a.status || (c && c.status) || "", a.status === "active" ? "ok" : ""),
          " ", h("a", { href: `#/campaigns/${encodeURIComponent(prefs.campaignId)}` }, a.name || (c && c.name) || "Campaign"),
          h("span", { class: "muted" }, ` · ${formatNumber(a.metrics && a.metrics.conversions)} conversions, revenue ${money(a.metrics && a.metrics.revenue)}`)),
        renderFunnel(a));
    } catch (err) {
      if (alive && seq === funnelSeq) mount(funnelBox, err.status === 404
        ? h("p", { class: "empty" }, "No analytics for this campaign yet.") : errorBox(err));
    }
  }

  function refreshAll() {
    if (campaigns && !campaigns.length) campaigns = null;  // the first campaign may have arrived
    loadStats();
    loadChart();
    loadFunnel();
  }

  const onUpdate = debounce(() => { if (alive) refreshAll(); }, 800);
  const offs = [
    live.on("analytics.updated", onUpdate),
    live.on("resync", () => {
      campaigns = null;
      onUpdate();
    }),
  ];
  await Promise.all([loadStats(), loadChart(true), loadFunnel(true)]);
  return () => {
    alive = false;
    offs.forEach((off) => off());
  };
}
