// Campaigns (#/campaigns, #/campaigns/new, #/campaigns/:id) and broadcasts (#/broadcasts/:id):
// what the AI sells and how it talks (proto/salesos/campaign/v1/campaign.proto), its lifecycle,
// a "Test the bot" chat (POST /api/v1/ai/reply-preview), and one-to-many broadcasts with live
// progress (docs/broadcasts.md).

import { api, listAll } from "../api.js";
import {
  h, mount, field, onSubmit, showErrors, clearErrors, toast, modal, confirmDialog, table, pageHeader, badge,
  spinner, errorBox, formatNumber, formatPercent, formatTime, relativeTime, debounce, tabs,
} from "../ui.js";
import { hasRole } from "../app.js";
import { live } from "../live.js";
import { ruleBuilder, loadCatalogue, explainRules } from "./segments.js";

const STATUS_KIND = { draft: "", active: "ok", paused: "warn", completed: "info" };
const PLATFORMS = [["all", "All channels"], ["facebook", "Messenger (Facebook)"], ["instagram", "Instagram"], ["whatsapp", "WhatsApp"]];
const PLATFORM_NAMES = Object.fromEntries(PLATFORMS);
const BROADCAST_KIND = { scheduled: "info", running: "ok", paused: "warn", completed: "", cancelled: "bad" };

function statusBadge(status) {
  const b = badge(status || "draft", STATUS_KIND[status] || "");
  b.classList.add("status-badge");
  return b;
}

function money(amount, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "USD" }).format(Number(amount || 0));
  } catch {
    return `${Number(amount || 0).toFixed(2)} ${currency || ""}`;
  }
}

function enc(id) {
  return encodeURIComponent(id);
}

// ---------------------------------------------------------------------------------------------
// #/campaigns

export async function list(root, ctx) {
  const canWrite = hasRole("admin");
  const q = field({ label: "Search", name: "q", type: "search", value: ctx.query.q || "", placeholder: "Campaign name" });
  const status = field({ label: "Status", name: "status", type: "select", value: ctx.query.status || "",
    options: [["", "Any status"], ["draft", "draft"], ["active", "active"], ["paused", "paused"], ["completed", "completed"]] });
  const platform = field({ label: "Platform", name: "targetPlatform", type: "select", value: ctx.query.platform || "",
    options: [["", "Any platform"], ...PLATFORMS] });
  const body = h("div", { class: "stack-on-phone" }, spinner());
  const more = h("div", { class: "row list-pager" });
  mount(root,
    pageHeader("Campaigns", canWrite ? h("a", { class: "button primary", href: "#/campaigns/new" }, "New campaign") : null),
    h("form", { class: "list-filters", role: "search", onsubmit: (ev) => { ev.preventDefault(); load(false); } }, q, status, platform),
    body, more);

  let rows = [];
  let token = "";
  let seq = 0;
  async function load(append) {
    const mine = ++seq;
    if (!append) mount(body, spinner());
    try {
      const res = await api.get("/api/v1/campaigns", {
        q: q.input.value.trim(), status: status.input.value, targetPlatform: platform.input.value,
        pageSize: 50, pageToken: append ? token : "",
      });
      if (mine !== seq) return;
      rows = append ? [...rows, ...(res.campaigns || [])] : res.campaigns || [];
      token = res.nextPageToken || "";
      const filtered = q.input.value.trim() || status.input.value || platform.input.value;
      mount(body, table({
        caption: "Campaigns",
        columns: [
          { label: "Name", value: (c) => h("a", { href: `#/campaigns/${enc(c.id)}` }, c.name) },
          { label: "Status", value: (c) => statusBadge(c.status) },
          { label: "Platform", value: (c) => PLATFORM_NAMES[c.targetPlatform] || c.targetPlatform },
          { label: "Sent", class: "num", value: (c) => formatNumber((c.stats || {}).messagesSent) },
          { label: "Responses", class: "num", value: (c) => formatNumber((c.stats || {}).responses) },
          { label: "Response rate", class: "num", value: (c) => {
            const s = c.stats || {};
            return Number(s.messagesSent) ? formatPercent(Number(s.responses) / Number(s.messagesSent)) : "—";
          } },
          { label: "Conversions", class: "num", value: (c) => formatNumber((c.stats || {}).conversions) },
          { label: "Revenue", class: "num", value: (c) => money((c.stats || {}).revenue, (c.product || {}).currency) },
          { label: "Updated", value: (c) => relativeTime(c.updatedAt) },
        ],
        rows,
        onRow: (c) => ctx.navigate(`/campaigns/${c.id}`),
        empty: filtered ? "No campaign matches these filters." : (canWrite ? "No campaigns yet: create the first one." : "No campaigns yet."),
      }));
      mount(more, token ? h("button", { type: "button", onclick: () => load(true) }, "Load more") : null);
    } catch (err) {
      if (mine === seq) mount(body, errorBox(err));
    }
  }
  q.input.addEventListener("input", debounce(() => load(false), 300));
  status.input.addEventListener("change", () => load(false));
  platform.input.addEventListener("change", () => load(false));
  await load(false);
  const off = live.on("resync", () => load(false));
  return () => off();
}

// ---------------------------------------------------------------------------------------------
// List editors: ordered lists of strings or pairs, with keyboard-usable add/remove/move buttons.

function listEditor({ name, legend, items, blank, itemName, readOnly, renderItem, help, addLabel }) {
  let state = (items || []).map((x) => (typeof x === "object" ? { ...x } : x));
  const errorSlot = h("small", { class: "error", role: "alert" });
  const list = h("ol", { class: "list-editor-items" });
  const addBtn = readOnly ? null : h("button", { type: "button", class: "list-add", onclick: () => {
    state.push(blank());
    draw(`[data-item="${state.length - 1}"] input, [data-item="${state.length - 1}"] textarea`);
  } }, addLabel || `Add ${itemName}`);
  const el = h("fieldset", { class: "field list-editor", dataset: { field: name } },
    h("legend", null, legend), help ? h("small", { class: "help" }, help) : null, errorSlot, list, addBtn);

  function move(i, d, which) {
    const j = i + d;
    [state[i], state[j]] = [state[j], state[i]];
    draw(`[data-item="${j}"] [data-move="${which}"]`, `[data-item="${j}"] [data-move="${which === "up" ? "down" : "up"}"]`);
  }
  function draw(focusSel, fallbackSel) {
    mount(list, state.map((item, i) => {
      const label = `${itemName} ${i + 1}`;
      return h("li", { class: "list-editor-item", dataset: { item: String(i) } },
        h("div", { class: "list-editor-fields" }, renderItem(item, i, (v) => { state[i] = v; }, `${name}[${i}]`, label)),
        readOnly ? null : h("div", { class: "list-editor-buttons" },
          h("button", { type: "button", class: "icon-btn", dataset: { move: "up" }, disabled: i === 0, "aria-label": `Move ${label} up`, title: "Move up", onclick: () => move(i, -1, "up") }, "↑"),
          h("button", { type: "button", class: "icon-btn", dataset: { move: "down" }, disabled: i === state.length - 1, "aria-label": `Move ${label} down`, title: "Move down", onclick: () => move(i, 1, "down") }, "↓"),
          h("button", { type: "button", class: "icon-btn", "aria-label": `Remove ${label}`, title: "Remove", onclick: () => {
            state.splice(i, 1);
            draw(state.length ? `[data-item="${Math.min(i, state.length - 1)}"] [aria-label^="Remove"]` : null);
            if (!state.length && addBtn) addBtn.focus();
          } }, "✕")));
    }));
    if (!state.length) list.append(h("li", { class: "muted list-editor-empty" }, readOnly ? "None." : "None yet."));
    for (const sel of [focusSel, fallbackSel]) {
      if (!sel) continue;
      const f = list.querySelector(sel);
      if (f && !f.disabled) { f.focus(); break; }
    }
  }
  draw();
  return { el, values: () => state.map((x) => (typeof x === "object" ? { ...x } : x)) };
}

function stringList({ name, legend, items, itemName, readOnly, help, multiline = false, placeholder }) {
  const ed = listEditor({
    name, legend, items, itemName, readOnly, help, blank: () => "",
    renderItem: (item, i, set, path, label) => field({ label, name: path, value: item, type: multiline ? "textarea" : "text", rows: 2,
      disabled: readOnly, placeholder, oninput: (ev) => set(ev.target.value) }),
  });
  return { el: ed.el, values: () => ed.values().map((s) => s.trim()).filter(Boolean) };
}

// ---------------------------------------------------------------------------------------------
// #/campaigns/new and #/campaigns/:id

const MASK_PATHS = [
  "name", "targetPlatform", "outreachMessage", "referralIds",
  "product.name", "product.description", "product.price", "product.currency", "product.images", "product.features",
  "chatFlow.greeting", "chatFlow.qualificationQuestions", "chatFlow.objectionHandling", "chatFlow.closingMessage",
  "targetAudience.persona", "targetAudience.demographics.ageRange", "targetAudience.demographics.location",
  "targetAudience.demographics.interests",
];

function getPath(obj, path) {
  return path.split(".").reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), obj);
}

function normalise(v) {
  if (Array.isArray(v)) return JSON.stringify(v);
  if (v === undefined || v === null) return "";
  return String(v);
}

function campaignForm(campaign, readOnly) {
  const c = campaign || {};
  const p = c.product || {};
  const f = c.chatFlow || {};
  const ta = c.targetAudience || {};
  const d = ta.demographics || {};
  const fields = {
    name: field({ label: "Campaign name", name: "name", required: true, maxlength: 200, value: c.name, disabled: readOnly }),
    targetPlatform: field({ label: "Platform", name: "targetPlatform", type: "select", value: c.targetPlatform || "all", options: PLATFORMS, disabled: readOnly,
      help: "Where new conversations go to this campaign" }),
    outreachMessage: field({ label: "Outreach message", name: "outreachMessage", type: "textarea", rows: 3, value: c.outreachMessage, disabled: readOnly,
      help: "The first message of a broadcast; template variables such as {{contact.firstName}} work" }),
    productName: field({ label: "Product name", name: "product.name", value: p.name, disabled: readOnly }),
    productDescription: field({ label: "Product description", name: "product.description", type: "textarea", rows: 3, value: p.description, disabled: readOnly }),
    price: field({ label: "Price", name: "product.price", type: "number", step: "any", min: 0, value: campaign ? p.price : "", disabled: readOnly, help: "In the currency's major unit (49.99)" }),
    currency: field({ label: "Currency", name: "product.currency", value: p.currency || "USD", maxlength: 3, disabled: readOnly, help: "ISO 4217 (USD, EUR, …)" }),
    greeting: field({ label: "Greeting", name: "chatFlow.greeting", type: "textarea", rows: 2, value: f.greeting, disabled: readOnly,
      help: "The bot's first words to a new customer" }),
    closing: field({ label: "Closing message", name: "chatFlow.closingMessage", type: "textarea", rows: 2, value: f.closingMessage, disabled: readOnly }),
    persona: field({ label: "Persona", name: "targetAudience.persona", type: "textarea", rows: 2, value: ta.persona, disabled: readOnly,
      help: "Who the ideal customer is, in a few words" }),
    ageRange: field({ label: "Age range", name: "targetAudience.demographics.ageRange", value: d.ageRange, disabled: readOnly, placeholder: "25-40" }),
  };
  const lists = {
    images: stringList({ name: "product.images", legend: "Product images", items: p.images, itemName: "Image URL", readOnly, placeholder: "https://…" }),
    features: stringList({ name: "product.features", legend: "Product features", items: p.features, itemName: "Feature", readOnly }),
    questions: stringList({ name: "chatFlow.qualificationQuestions", legend: "Qualification questions", items: f.qualificationQuestions,
      itemName: "Question", readOnly, help: "Asked in this order; activation needs at least one" }),
    objections: listEditor({
      name: "chatFlow.objectionHandling", legend: "Objections and responses", items: f.objectionHandling, itemName: "Objection", readOnly,
      blank: () => ({ objection: "", response: "" }),
      renderItem: (item, i, set, path, label) => [
        field({ label: `${label}: the customer says`, name: `${path}.objection`, value: item.objection, disabled: readOnly,
          oninput: (ev) => set({ ...item, objection: (item.objection = ev.target.value) }) }),
        field({ label: `${label}: the bot answers`, name: `${path}.response`, type: "textarea", rows: 2, value: item.response, disabled: readOnly,
          oninput: (ev) => set({ ...item, response: (item.response = ev.target.value) }) }),
      ],
    }),
    locations: stringList({ name: "targetAudience.demographics.location", legend: "Locations", items: d.location, itemName: "Location", readOnly }),
    interests: stringList({ name: "targetAudience.demographics.interests", legend: "Interests", items: d.interests, itemName: "Interest", readOnly }),
    referrals: stringList({ name: "referralIds", legend: "Referral ids", items: c.referralIds, itemName: "Referral id", readOnly,
      help: "Ad or link refs (m.me/…?ref=) that route a new conversation here" }),
  };
  const form = h("form", { class: "campaign-form", novalidate: true },
    h("fieldset", null, h("legend", null, "Basics"), fields.name, fields.targetPlatform, fields.outreachMessage, lists.referrals.el),
    h("fieldset", null, h("legend", null, "Product"), fields.productName, fields.productDescription,
      h("div", { class: "grid form-grid-2" }, fields.price, fields.currency), lists.features.el, lists.images.el),
    h("fieldset", null, h("legend", null, "Chat flow"), fields.greeting, lists.questions.el, lists.objections.el, fields.closing),
    h("fieldset", null, h("legend", null, "Target audience"), fields.persona, fields.ageRange, lists.locations.el, lists.interests.el));

  function collect() {
    const val = (x) => x.input.value;
    const priceRaw = val(fields.price);
    return {
      name: val(fields.name).trim(),
      targetPlatform: val(fields.targetPlatform),
      outreachMessage: val(fields.outreachMessage),
      referralIds: lists.referrals.values(),
      product: {
        name: val(fields.productName).trim(),
        description: val(fields.productDescription),
        price: priceRaw === "" ? 0 : Number(priceRaw),
        currency: val(fields.currency).trim().toUpperCase() || "USD",
        images: lists.images.values(),
        features: lists.features.values(),
      },
      chatFlow: {
        greeting: val(fields.greeting),
        qualificationQuestions: lists.questions.values(),
        objectionHandling: lists.objections.values().map((o) => ({ objection: o.objection.trim(), response: o.response.trim() }))
          .filter((o) => o.objection || o.response),
        closingMessage: val(fields.closing),
      },
      targetAudience: {
        persona: val(fields.persona),
        demographics: {
          ageRange: val(fields.ageRange).trim(),
          location: lists.locations.values(),
          interests: lists.interests.values(),
        },
      },
    };
  }
  return { form, collect };
}

export async function edit(root, ctx) {
  const id = ctx.params.id || "";
  const canWrite = hasRole("admin");
  const canAgent = hasRole("agent");
  mount(root, spinner());
  let campaign = null;
  if (id) {
    try {
      campaign = await api.get(`/api/v1/campaigns/${enc(id)}`);
    } catch (err) {
      mount(root, pageHeader("Campaign"), errorBox(err), h("p", null, h("a", { href: "#/campaigns" }, "Back to campaigns")));
      return undefined;
    }
  }
  const cleanups = [];
  const readOnly = !canWrite;
  const { form, collect } = campaignForm(campaign, readOnly);
  const conflict = h("div", { class: "conflict" });
  form.prepend(conflict);
  if (readOnly) form.prepend(h("p", { class: "muted" }, "You can read this campaign; changing it needs the admin role."));
  else form.append(h("div", { class: "form-actions sticky-actions" }, h("button", { type: "submit", class: "primary" }, "Save campaign")));

  let original = campaign ? collect() : null;

  async function save({ force = false } = {}) {
    const next = collect();
    if (!id) {
      const created = await api.post("/api/v1/campaigns", next);
      toast("Campaign created as a draft.", "ok");
      ctx.navigate(`/campaigns/${created.id}`);
      return;
    }
    const mask = MASK_PATHS.filter((p) => normalise(getPath(next, p)) !== normalise(getPath(original, p)));
    if (!mask.length) {
      toast("Nothing changed.");
      return;
    }
    let expected = campaign.updatedAt;
    if (force) expected = (await api.get(`/api/v1/campaigns/${enc(id)}`)).updatedAt;
    try {
      campaign = await api.patch(`/api/v1/campaigns/${enc(id)}`, { campaign: next, updateMask: mask, expectedUpdateTime: expected });
    } catch (err) {
      if (err.code === "ABORTED") {
        mount(conflict, h("div", { class: "form-error", role: "alert" },
          h("p", null, "Someone else changed this campaign after you opened it, so your changes were not saved."),
          h("div", { class: "row" },
            h("button", { type: "button", onclick: () => ctx.navigate(`/campaigns/${id}`) }, "Reload theirs (drop my changes)"),
            h("button", { type: "button", class: "danger", onclick: async () => {
              try { await save({ force: true }); } catch (e) { showErrors(form, e); }
            } }, `Save mine over theirs (${mask.join(", ")})`))));
        conflict.querySelector("button").focus();
        return;
      }
      throw err;
    }
    mount(conflict);
    original = collect();
    refreshHeader();
    toast("Campaign saved.", "ok");
  }
  onSubmit(form, () => save());

  if (!id) {
    mount(root,
      h("p", { class: "page-crumbs" }, h("a", { href: "#/campaigns" }, "Campaigns"), " / "),
      pageHeader("New campaign"),
      h("p", { class: "muted" }, "A campaign starts as a draft. To activate it, give the product a name and a price, a greeting and at least one qualification question."),
      h("section", { class: "panel" }, form));
    form.querySelector("input").focus();
    return undefined;
  }

  // The header: name, status badge, lifecycle actions.
  const header = h("div", { class: "campaign-header" });
  const statsRow = h("div", { class: "grid campaign-stats" });
  function refreshHeader() {
    const s = campaign.status;
    const actions = [];
    if (canWrite) {
      if (s === "draft" || s === "paused") actions.push(h("button", { type: "button", class: "primary", onclick: () => act("activate") }, "Activate"));
      if (s === "active") actions.push(h("button", { type: "button", onclick: () => act("pause") }, "Pause"));
      if (s === "active" || s === "paused") actions.push(h("button", { type: "button", onclick: () => act("complete") }, "Complete"));
      actions.push(h("button", { type: "button", onclick: () => act("duplicate") }, "Duplicate"));
      if (s === "draft") actions.push(h("button", { type: "button", class: "danger", onclick: remove }, "Delete"));
    }
    const ph = pageHeader(campaign.name, ...actions);
    ph.querySelector("h1").append(" ", statusBadge(s));
    mount(header, ph,
      h("p", { class: "muted campaign-meta" },
        `${PLATFORM_NAMES[campaign.targetPlatform] || campaign.targetPlatform} · created ${formatTime(campaign.createdAt)}`,
        campaign.activatedAt ? ` · activated ${formatTime(campaign.activatedAt)}` : "",
        campaign.completedAt ? ` · completed ${formatTime(campaign.completedAt)}` : ""));
    const st = campaign.stats || {};
    const sent = Number(st.messagesSent || 0);
    mount(statsRow, [
      ["Messages sent", formatNumber(sent)],
      ["Responses", formatNumber(st.responses)],
      ["Response rate", sent ? formatPercent(Number(st.responses || 0) / sent) : "—"],
      ["Conversions", formatNumber(st.conversions)],
      ["Revenue", money(st.revenue, (campaign.product || {}).currency)],
    ].map(([label, value]) => h("div", { class: "stat" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value))));
  }

  async function act(action) {
    const verbs = { activate: "activated", pause: "paused", complete: "completed", duplicate: "duplicated" };
    if (action === "complete" && !(await confirmDialog("Complete this campaign? New conversations stop going to it, and it cannot be activated again.", { title: "Complete campaign", confirm: "Complete" }))) return;
    try {
      const res = await api.post(`/api/v1/campaigns/${enc(id)}/${action}`, {});
      if (action === "duplicate") {
        toast(`Duplicated as "${res.name}".`, "ok");
        ctx.navigate(`/campaigns/${res.id}`);
        return;
      }
      campaign = { ...campaign, status: res.status, updatedAt: res.updatedAt, activatedAt: res.activatedAt, completedAt: res.completedAt, stats: res.stats };
      refreshHeader();
      toast(`Campaign ${verbs[action]}.`, "ok");
    } catch (err) {
      if (err.details && err.details.length) {
        const tab = root.querySelector("#tab-details");
        if (tab && tab.getAttribute("aria-selected") !== "true") tab.click();
        showErrors(form, err);
        toast(err.message, "error", 6000);
      } else {
        toast(err.message, "error", 6000);
      }
    }
  }

  async function remove() {
    if (!(await confirmDialog(`Delete the draft "${campaign.name}"? This cannot be undone.`, { title: "Delete campaign", confirm: "Delete", danger: true }))) return;
    try {
      await api.del(`/api/v1/campaigns/${enc(id)}`);
      toast("Campaign deleted.", "ok");
      ctx.navigate("/campaigns");
    } catch (err) {
      toast(err.message, "error", 6000);
    }
  }

  refreshHeader();
  const details = h("div", { class: "campaign-layout" },
    h("section", { class: "panel campaign-main", "aria-label": "Campaign settings" }, form),
    h("aside", { class: "campaign-side" }, botPanel(id, canAgent)));
  const broadcastsView = () => broadcastsTab(campaign, canAgent, ctx, cleanups);
  mount(root,
    h("p", { class: "page-crumbs" }, h("a", { href: "#/campaigns" }, "Campaigns"), " / "),
    header, statsRow,
    tabs([
      { id: "details", label: "Campaign", render: () => details },
      { id: "broadcasts", label: "Broadcasts", render: broadcastsView },
    ], ctx.query.tab === "broadcasts" ? "broadcasts" : "details"));

  cleanups.push(live.on("resync", async () => {
    try {
      const fresh = await api.get(`/api/v1/campaigns/${enc(id)}`);
      campaign = { ...campaign, status: fresh.status, stats: fresh.stats, activatedAt: fresh.activatedAt, completedAt: fresh.completedAt };
      refreshHeader();
    } catch { /* the page stays as it is */ }
  }));
  return () => cleanups.forEach((fn) => fn());
}

// ---------------------------------------------------------------------------------------------
// Test the bot: POST /api/v1/ai/reply-preview with the conversation so far.

function botPanel(campaignId, canAgent) {
  const panel = h("section", { class: "panel bot-panel", "aria-labelledby": "bot-title" }, h("h2", { id: "bot-title" }, "Test the bot"));
  if (!canAgent) {
    panel.append(h("p", { class: "muted" }, "Testing the bot needs the agent role."));
    return panel;
  }
  const turns = [];  // {sender, content, sentAt, answer?}
  const log = h("ol", { class: "bot-log", role: "log", "aria-label": "Bot conversation", "aria-live": "polite" });
  const input = field({ label: "Message to the bot", name: "content", type: "textarea", rows: 2, required: true, maxlength: 4000,
    placeholder: "Hi! How much is it?" });
  const sendBtn = h("button", { type: "submit", class: "primary" }, "Send to bot");
  const form = h("form", { class: "bot-form", novalidate: true }, input,
    h("div", { class: "form-actions" },
      h("button", { type: "button", onclick: () => { turns.length = 0; draw(); input.input.focus(); } }, "Start over"),
      sendBtn));
  input.input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  panel.append(h("p", { class: "muted" }, "Chat as a customer would; nothing is sent to anyone or stored in a conversation."), log, form);

  function answerMeta(a) {
    const ls = a.leadScore || {};
    const facts = h("dl", { class: "bot-facts" },
      h("dt", null, "Intent"), h("dd", null, a.intent || "—", a.intentConfidence ? h("span", { class: "muted" }, ` (${formatPercent(a.intentConfidence, 0)})`) : null),
      h("dt", null, "Lead score"), h("dd", null, String(ls.score ?? 0), ls.factors ? h("span", { class: "muted" },
        ` (engagement ${ls.factors.engagement ?? 0}, recency ${ls.factors.recency ?? 0}, frequency ${ls.factors.frequency ?? 0}, intent ${ls.factors.intent ?? 0}, qualification ${ls.factors.qualification ?? 0})`) : null),
      a.sentiment ? [h("dt", null, "Sentiment"), h("dd", null, a.sentiment.label || "neutral")] : null,
      a.suggestedStatus ? [h("dt", null, "Suggested status"), h("dd", null, a.suggestedStatus)] : null,
      a.handoff && a.handoff.required ? [h("dt", null, "Hand-off"), h("dd", null, badge(a.handoff.reason || "required", "warn"))] : null,
      h("dt", null, "Answered by"), h("dd", null, `${a.provider || "?"}${a.model ? ` · ${a.model}` : ""} · ${a.latencyMs ?? 0} ms`,
        a.fallbackReason ? h("span", { class: "muted" }, ` (fallback: ${a.fallbackReason})`) : null));
    const sources = a.sources || [];
    return [facts,
      h("details", { class: "bot-sources" },
        h("summary", null, sources.length ? `Sources (${sources.length})` : "Sources (none)"),
        sources.length ? h("ul", null, sources.map((s) => h("li", null,
          h("strong", null, s.title || s.source), h("span", { class: "muted" }, ` · ${s.source} · score ${Number(s.score || 0).toFixed(2)}`),
          h("p", { class: "bot-source-text" }, s.text)))) : h("p", { class: "muted" }, "The reply used no knowledge-base passage."))];
  }

  function draw() {
    mount(log, turns.length ? turns.map((t) => h("li", { class: ["bot-turn", `bot-${t.sender}`] },
      h("span", { class: "sr-only" }, t.sender === "customer" ? "You: " : "Bot: "),
      h("p", { class: "bot-text" }, t.content),
      t.answer && (t.answer.reply || {}).quickReplies && t.answer.reply.quickReplies.length
        ? h("div", { class: "bot-quick", role: "group", "aria-label": "Quick replies" }, t.answer.reply.quickReplies.map((qr) =>
          h("button", { type: "button", onclick: () => { input.input.value = qr; form.requestSubmit(); } }, qr)))
        : null,
      t.answer ? answerMeta(t.answer) : null)) : h("li", { class: "muted bot-empty" }, "No messages yet."));
    log.scrollTop = log.scrollHeight;
  }
  draw();

  onSubmit(form, async (v) => {
    const text = String(v.content || "").trim();
    if (!text) throw { details: [{ field: "content", description: "write a message first" }] };
    turns.push({ sender: "customer", content: text, sentAt: new Date().toISOString() });
    draw();
    input.input.value = "";
    const messages = turns.slice(-50).map((t) => ({ sender: t.sender, content: t.content, sentAt: t.sentAt }));
    try {
      const a = await api.post("/api/v1/ai/reply-preview", { campaignId, messages });
      turns.push({ sender: "ai", content: (a.reply || {}).text || "(no reply)", sentAt: new Date().toISOString(), answer: a });
      draw();
    } catch (err) {
      turns.pop();
      input.input.value = text;
      draw();
      throw err;
    } finally {
      input.input.focus();
    }
  });
  return panel;
}

// ---------------------------------------------------------------------------------------------
// The campaign's broadcasts.

function broadcastProgress(b) {
  const total = Number(b.total || 0);
  const done = Number(b.sent || 0) + Number(b.failed || 0) + Number(b.cancelled || 0);
  return { total, done, ratio: total ? done / total : 0 };
}

async function broadcastsTab(campaign, canAgent, ctx, cleanups) {
  const wrap = h("div", { class: "broadcasts" });
  const listBox = h("div", { class: "stack-on-phone" }, spinner());
  const more = h("div", { class: "row list-pager" });
  let rows = [];
  let token = "";
  async function load(append) {
    try {
      const res = await api.get(`/api/v1/campaigns/${enc(campaign.id)}/broadcasts`, { pageSize: 50, pageToken: append ? token : "" });
      rows = append ? [...rows, ...(res.broadcasts || [])] : res.broadcasts || [];
      token = res.nextPageToken || "";
      draw();
    } catch (err) {
      mount(listBox, errorBox(err));
    }
  }
  function draw() {
    mount(listBox, table({
      caption: "Broadcasts",
      columns: [
        { label: "Name", value: (b) => h("a", { href: `#/broadcasts/${enc(b.id)}` }, b.name || "Broadcast") },
        { label: "Status", value: (b) => badge(b.status, BROADCAST_KIND[b.status] || "") },
        { label: "Channel", value: (b) => PLATFORM_NAMES[b.platform] || b.platform || "" },
        { label: "Progress", value: (b) => {
          const p = broadcastProgress(b);
          return h("span", { class: "mini-progress" },
            h("progress", { max: Math.max(1, p.total), value: p.done, "aria-label": `${b.name || "Broadcast"} progress` }),
            ` ${formatNumber(p.done)}/${formatNumber(p.total)}`);
        } },
        { label: "Sent", class: "num", value: (b) => formatNumber(b.sent) },
        { label: "Delivered", class: "num", value: (b) => formatNumber(b.delivered) },
        { label: "Read", class: "num", value: (b) => formatNumber(b.read) },
        { label: "Failed", class: "num", value: (b) => formatNumber(b.failed) },
        { label: "Replied", class: "num", value: (b) => formatNumber(b.replied) },
        { label: "Starts", value: (b) => formatTime(b.startedAt || b.scheduleAt || b.createdAt) },
      ],
      rows,
      onRow: (b) => ctx.navigate(`/broadcasts/${b.id}`),
      empty: "No broadcasts for this campaign yet.",
    }));
    mount(more, token ? h("button", { type: "button", onclick: () => load(true) }, "Load more") : null);
  }
  mount(wrap,
    h("div", { class: "row broadcasts-head" },
      h("p", { class: "muted" }, "One message to every contact of an audience, through one channel, paced to what the platform takes."),
      h("span", { class: "spacer" }),
      canAgent ? h("button", { type: "button", class: "primary", onclick: () => openBroadcastForm(campaign, ctx) }, "New broadcast") : null),
    listBox, more);
  await load(false);
  const off = live.on("broadcast.updated", (ev) => {
    const b = ev.data || {};
    if (b.campaignId !== campaign.id || !wrap.isConnected) return;
    const i = rows.findIndex((r) => r.id === b.id);
    if (i >= 0) rows[i] = b; else rows.unshift(b);
    draw();
  });
  cleanups.push(off);
  return wrap;
}

function radioGroup(name, legend, options, value, onchange) {
  return h("fieldset", { class: "field radio-group", dataset: { field: name } },
    h("legend", null, legend),
    options.map(([v, text]) => h("label", { class: "radio" },
      h("input", { type: "radio", name: `${name}-choice`, value: v, checked: v === value, onchange: () => onchange(v) }), ` ${text}`)),
    h("small", { class: "error", role: "alert" }));
}

async function openBroadcastForm(campaign, ctx) {
  const body = h("div", null, spinner());
  const m = modal({ title: "New broadcast", body, wide: true });
  const side = await Promise.allSettled([
    listAll("/api/v1/integrations", "integrations", {}, 200),
    listAll("/api/v1/segments", "segments", {}, 500),
    listAll("/api/v1/templates", "templates", {}, 500),
    loadCatalogue(),
  ]);
  const [integrations, segments, templates] = side.slice(0, 3).map((r) => (r.status === "fulfilled" ? r.value : []));
  const catalogue = side[3].status === "fulfilled" ? side[3].value : undefined;
  if (!integrations.length) {
    mount(body, h("p", null, "Broadcasts go out through a connected channel, and this workspace has none yet. ",
      h("a", { href: "#/integrations", onclick: () => m.close() }, "Connect a channel"), " first."));
    return;
  }
  let audience = segments.length ? "segment" : "rules";
  let message = "text";
  const integration = field({ label: "Channel", name: "integrationId", type: "select", required: true, value: integrations[0].id,
    options: integrations.map((i) => [i.id, `${PLATFORM_NAMES[i.platform] || i.platform}: ${i.name || i.externalId}`]) });
  const nameF = field({ label: "Broadcast name", name: "name", maxlength: 200, placeholder: `Broadcast ${new Date().toLocaleDateString()}` });
  const segmentF = field({ label: "Segment", name: "segmentId", type: "select", options: segments.map((s) => [s.id, s.name]) });
  const builder = ruleBuilder({ catalogue, name: "rules" });
  const rulesBox = h("div", { class: "broadcast-rules" }, builder.el);
  const textF = field({ label: "Message", name: "text", type: "textarea", rows: 4, maxlength: 4000, value: campaign.outreachMessage || "",
    help: "Template variables work: {{contact.firstName}}, {{product.name}}, {{product.price}}…" });
  const templateF = field({ label: "Template", name: "templateId", type: "select", options: templates.map((t) => [t.id, `${t.name} (${t.channel})`]) });
  const waName = field({ label: "WhatsApp template name", name: "template.name", placeholder: "winter_sale" });
  const waLang = field({ label: "Language", name: "template.language", value: "en_US" });
  const waParams = field({ label: "Body parameters", name: "template.components", placeholder: "{{contact.firstName}}, {{product.price}}",
    help: "In order ({{1}}, {{2}}, …), separated by commas" });
  const waBox = h("div", { class: "grid form-grid-2" }, waName, waLang, waParams);
  const schedule = field({ label: "Send at", name: "scheduleAt", type: "datetime-local", help: "Empty: now. At most 90 days ahead; your local time." });
  const rate = field({ label: "Messages per second", name: "ratePerSecond", type: "number", min: 1, step: 1, placeholder: "platform default" });
  const windowF = field({ label: "Reply attribution window (hours)", name: "attributionWindowHours", type: "number", min: 1, max: 720, step: 1, placeholder: "72" });
  const audienceBox = h("div");
  const messageBox = h("div");
  function isWhatsApp() {
    const i = integrations.find((x) => x.id === integration.input.value);
    return i && i.platform === "whatsapp";
  }
  function drawAudience() {
    mount(audienceBox, audience === "segment"
      ? (segments.length ? segmentF : h("p", { class: "muted" }, "No saved segments yet."))
      : rulesBox);
  }
  function drawMessage() {
    if (message === "template" && !isWhatsApp()) message = "text";
    const opts = [["text", "Text"], ["templateId", "Saved template"]];
    if (isWhatsApp()) opts.push(["template", "Approved WhatsApp template"]);
    mount(messageBox,
      radioGroup("message", "Message", opts, message, (v) => { message = v; drawMessage(); }),
      message === "text" ? textF : message === "templateId" ? (templates.length ? templateF : h("p", { class: "muted" }, "No templates yet.")) : waBox);
  }
  integration.input.addEventListener("change", drawMessage);
  drawAudience();
  drawMessage();
  const form = h("form", { class: "broadcast-form", novalidate: true },
    nameF, integration,
    radioGroup("audience", "Audience", [["segment", "A saved segment"], ["rules", "Rules for this broadcast"]], audience, (v) => { audience = v; drawAudience(); }),
    audienceBox, messageBox,
    h("div", { class: "grid form-grid-3" }, schedule, rate, windowF),
    h("div", { class: "form-actions" },
      h("button", { type: "button", onclick: () => m.close() }, "Cancel"),
      h("button", { type: "submit", class: "primary" }, "Create broadcast")));
  mount(body, form);
  onSubmit(form, async (v) => {
    const req = { name: v.name.trim(), integrationId: v.integrationId };
    if (audience === "segment") req.segmentId = v.segmentId; else req.rules = builder.value();
    if (message === "text") req.text = v.text;
    else if (message === "templateId") req.templateId = v.templateId;
    else {
      req.template = {
        name: v["template.name"].trim(), language: v["template.language"].trim(),
        components: [{ type: "body", parameters: v["template.components"].split(",").map((s) => s.trim()).filter(Boolean) }],
      };
    }
    if (v.scheduleAt) req.scheduleAt = new Date(v.scheduleAt).toISOString();
    if (v.ratePerSecond) req.ratePerSecond = v.ratePerSecond;
    if (v.attributionWindowHours) req.attributionWindowHours = v.attributionWindowHours;
    const b = await api.post(`/api/v1/campaigns/${enc(campaign.id)}/broadcasts`, req);
    m.close(true);
    toast("Broadcast created.", "ok");
    ctx.navigate(`/broadcasts/${b.id}`);
  });
  nameF.input.focus();
}

// ---------------------------------------------------------------------------------------------
// #/broadcasts/:id

export async function broadcast(root, ctx) {
  const id = ctx.params.id;
  const canAgent = hasRole("agent");
  mount(root, spinner());
  let b;
  try {
    b = await api.get(`/api/v1/broadcasts/${enc(id)}`);
  } catch (err) {
    mount(root, pageHeader("Broadcast"), errorBox(err), h("p", null, h("a", { href: "#/campaigns" }, "Back to campaigns")));
    return undefined;
  }
  let campaignName = "";
  try {
    campaignName = (await api.get(`/api/v1/campaigns/${enc(b.campaignId)}`)).name;
  } catch { /* the crumb says "Campaign" */ }

  const header = h("div");
  const progressBox = h("section", { class: "panel broadcast-progress", "aria-label": "Progress" });
  const detailsBox = h("section", { class: "panel broadcast-details", "aria-label": "Details" });
  const recipientsBox = h("section", { class: "panel", "aria-label": "Recipients" });

  function drawHeader() {
    const actions = [];
    if (canAgent) {
      if (b.status === "running" || b.status === "scheduled") actions.push(h("button", { type: "button", onclick: () => act("pause") }, "Pause"));
      if (b.status === "paused") actions.push(h("button", { type: "button", class: "primary", onclick: () => act("resume") }, "Resume"));
      if (["scheduled", "running", "paused"].includes(b.status)) actions.push(h("button", { type: "button", class: "danger", onclick: () => act("cancel") }, "Cancel broadcast"));
    }
    const ph = pageHeader(b.name || "Broadcast", ...actions);
    const sb = badge(b.status, BROADCAST_KIND[b.status] || "");
    sb.classList.add("status-badge");
    ph.querySelector("h1").append(" ", sb);
    mount(header, h("p", { class: "page-crumbs" }, h("a", { href: "#/campaigns" }, "Campaigns"), " / ",
      h("a", { href: `#/campaigns/${enc(b.campaignId)}?tab=broadcasts` }, campaignName || "Campaign"), " / "), ph);
  }
  function drawProgress() {
    const p = broadcastProgress(b);
    const pct = Math.round(p.ratio * 100);
    mount(progressBox,
      h("h2", null, "Progress"),
      h("div", { class: "progress-line" },
        h("progress", { max: Math.max(1, p.total), value: p.done, "aria-label": "Broadcast progress", "aria-valuetext": `${pct}%` }),
        h("span", { class: "progress-pct" }, `${pct}%`)),
      h("p", { class: "muted", role: "status" },
        p.total ? `${formatNumber(p.done)} of ${formatNumber(p.total)} recipients handled; ${formatNumber(b.queued)} waiting.`
          : b.status === "scheduled" ? `Starts ${formatTime(b.scheduleAt) || "soon"}; the audience is resolved then.` : "No recipients yet."),
      b.error ? h("p", { class: "form-error", role: "alert" }, b.error) : null,
      h("div", { class: "grid counters" }, [
        ["Total", b.total], ["Queued", b.queued], ["Sent", b.sent], ["Delivered", b.delivered], ["Read", b.read],
        ["Failed", b.failed], ["Replied", b.replied], ["Cancelled", b.cancelled], ["Opted out", b.optedOut],
      ].map(([label, value]) => h("div", { class: ["stat", `counter-${label.toLowerCase().replace(" ", "-")}`] },
        h("div", { class: "label" }, label), h("div", { class: "value" }, formatNumber(value))))));
  }
  function drawDetails() {
    const msg = b.text ? b.text : b.templateId ? `Template ${b.templateId}` : b.template ? `WhatsApp template ${b.template.name} (${b.template.language})` : "";
    mount(detailsBox, h("h2", null, "Details"), h("dl", { class: "broadcast-facts" },
      h("dt", null, "Channel"), h("dd", null, PLATFORM_NAMES[b.platform] || b.platform || "—"),
      h("dt", null, "Audience"), h("dd", null, b.segmentId ? h("a", { href: `#/segments/${enc(b.segmentId)}` }, "Saved segment") : "Rules of this broadcast",
        b.rules ? h("span", { class: "rules-text" }, explainRules(b.rules)) : null),
      h("dt", null, "Message"), h("dd", { class: "pre" }, msg),
      h("dt", null, "Rate"), h("dd", null, `${b.ratePerSecond || "default"} messages a second`),
      h("dt", null, "Replies count for"), h("dd", null, `${b.attributionWindowHours || 72} hours`),
      h("dt", null, "Scheduled"), h("dd", null, formatTime(b.scheduleAt) || "now"),
      h("dt", null, "Started"), h("dd", null, formatTime(b.startedAt) || "—"),
      h("dt", null, "Finished"), h("dd", null, formatTime(b.completedAt) || "—")));
  }
  async function act(action) {
    if (action === "cancel" && !(await confirmDialog("Cancel this broadcast? Everyone still queued is left out; messages already sent stay sent.", { title: "Cancel broadcast", confirm: "Cancel broadcast", danger: true }))) return;
    try {
      b = await api.post(`/api/v1/broadcasts/${enc(id)}/${action}`, {});
      drawAll();
      loadRecipients();
      toast(`Broadcast ${b.status}.`, "ok");
    } catch (err) {
      toast(err.message, "error", 6000);
    }
  }

  // Recipients, paged, with a status filter.
  const statusF = field({ label: "Show", name: "status", type: "select", value: "",
    options: [["", "Everyone"], ...["queued", "sending", "sent", "delivered", "read", "failed", "cancelled", "replied"].map((s) => [s, s])] });
  const recTable = h("div", { class: "stack-on-phone" });
  const recPager = h("div", { class: "row list-pager" });
  const tokens = [""];
  let at = 0;
  const RKIND = { sent: "info", delivered: "info", read: "ok", failed: "bad", cancelled: "", queued: "", sending: "warn" };
  async function loadRecipients() {
    try {
      const res = await api.get(`/api/v1/broadcasts/${enc(id)}/recipients`, { status: statusF.input.value, pageSize: 50, pageToken: tokens[at] });
      const next = res.nextPageToken || "";
      mount(recTable, table({
        caption: "Recipients",
        columns: [
          { label: "Name", value: (r) => r.name || r.contactId },
          { label: "Address", value: (r) => r.address || "" },
          { label: "Status", value: (r) => [badge(r.status, RKIND[r.status] || ""), r.repliedAt ? [" ", badge("replied", "ok")] : null] },
          { label: "Tries", class: "num", value: (r) => String(r.attempts || 0) },
          { label: "Sent", value: (r) => formatTime(r.sentAt) },
          { label: "Error", value: (r) => r.error || "" },
          { label: "Conversation", value: (r) => (r.conversationId ? h("a", { href: `#/inbox/${enc(r.conversationId)}` }, "Open") : "") },
        ],
        rows: res.recipients || [],
        empty: statusF.input.value ? `No ${statusF.input.value} recipients.` : "No recipients yet.",
      }));
      mount(recPager,
        h("button", { type: "button", disabled: at === 0, onclick: () => { at -= 1; loadRecipients(); } }, "Previous"),
        h("span", { class: "muted" }, `Page ${at + 1}`),
        h("button", { type: "button", disabled: !next, onclick: () => { at += 1; tokens[at] = next; loadRecipients(); } }, "Next"));
    } catch (err) {
      mount(recTable, errorBox(err));
    }
  }
  statusF.input.addEventListener("change", () => { tokens.length = 1; at = 0; loadRecipients(); });
  mount(recipientsBox, h("div", { class: "row recipients-head" }, h("h2", null, "Recipients"), h("span", { class: "spacer" }), statusF), recTable, recPager);

  function drawAll() {
    drawHeader();
    drawProgress();
    drawDetails();
  }
  drawAll();
  mount(root, header, progressBox, recipientsBox, detailsBox);
  loadRecipients();

  const refreshRecipients = debounce(loadRecipients, 1500);
  const offs = [];
  offs.push(live.on("broadcast.updated", (ev) => {
    if (!ev.data || ev.data.id !== id) return;
    b = ev.data;
    drawAll();
    refreshRecipients();
  }));
  async function refetch() {
    try {
      b = await api.get(`/api/v1/broadcasts/${enc(id)}`);
      drawAll();
      loadRecipients();
    } catch { /* keep what is shown */ }
  }
  offs.push(live.on("resync", refetch));
  // When the live feed is down, poll while the broadcast is unfinished.
  const poll = setInterval(() => {
    if (live.state !== "live" && ["scheduled", "running", "paused"].includes(b.status)) refetch();
  }, 5000);
  return () => {
    offs.forEach((off) => off());
    clearInterval(poll);
  };
}
