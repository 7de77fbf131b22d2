// The data manager (#/data, admins and owners; the original's DBMS page): every collection of the
// workspace (AdminService in proto/salesos/auth/v1/auth.proto; docs/data-admin.md) with counts,
// search, a paged table, each document as JSON, deleting one, exporting, clearing everything (owner
// only, typed confirmation) and the platform's health. Documents are shown as text, never as HTML.

import { api } from "../api.js";
import {
  h, mount, field, onSubmit, toast, confirmDialog, modal, table, pageHeader, badge, loadInto,
  errorBox, formatNumber, formatTime, debounce, spinner, pager } from "../ui.js";
import { hasRole } from "../app.js";

const KNOWN = ["users", "integrations", "campaigns", "templates", "segments", "conversations", "messages", "contacts", "accounts", "contact_fields", "jobs", "analytics"];
const LABELS = {
  users: "Users", integrations: "Integrations", campaigns: "Campaigns", templates: "Templates", segments: "Segments",
  conversations: "Conversations", messages: "Messages", contacts: "Contacts", accounts: "Accounts",
  contact_fields: "Contact fields", jobs: "Jobs", analytics: "Analytics rollups",
};
// The columns a collection's table shows (the JSON view has everything).
const COLUMNS = {
  users: ["email", "name", "role", "createdAt"],
  integrations: ["platform", "name", "externalId", "status"],
  campaigns: ["name", "status", "targetPlatform", "createdAt"],
  templates: ["name", "category", "channel", "updatedAt"],
  segments: ["name", "description", "updatedAt"],
  conversations: ["platform", "status", "handler", "contactId"],
  messages: ["sender", "content", "conversationId", "createdAt"],
  contacts: ["fullName", "email", "phone", "platform"],
  accounts: ["name", "website", "industry"],
  contact_fields: ["key", "label", "type"],
  jobs: ["kind", "status", "createdAt"],
  analytics: ["campaignId", "platform", "hour"],
};
const READ_ONLY = new Set(["users"]);  // members are managed on the Team page (412 here)

function label(name) {
  return LABELS[name] || name;
}

function cellText(v) {
  if (v === undefined || v === null || v === "") return "—";
  const s = typeof v === "object" ? JSON.stringify(v) : String(v);
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}


export async function dataManager(root, ctx) {
  const isOwner = hasRole("owner");
  const workspaceName = (ctx.session.workspace && ctx.session.workspace.name) || "";
  let collection = KNOWN.includes(ctx.query.collection) ? ctx.query.collection : "contacts";
  let q = ctx.query.q || "";
  let counts = {};

  const statsBox = h("div", { class: "data-stats" });
  const healthBox = h("div", { class: "data-health stack-on-phone" });
  const tableBox = h("div", { class: "data-table" });
  const picker = field({
    label: "Collection", name: "collection", type: "select", value: collection,
    options: KNOWN.map((c) => [c, label(c)]),
    onchange: () => select(picker.input.value),
  });
  const search = field({
    label: "Search", name: "q", type: "search", value: q, placeholder: "Text in the collection's searchable fields",
    oninput: debounce(() => { q = search.input.value.trim(); loadTable(); }, 300),
  });
  picker.input.removeAttribute("name");
  search.input.removeAttribute("name");

  function select(name) {
    collection = name;
    picker.input.value = name;
    for (const b of statsBox.querySelectorAll("button.data-stat")) b.setAttribute("aria-pressed", String(b.dataset.collection === name));
    loadTable();
  }

  async function loadStats() {
    await loadInto(statsBox, async () => {
      const stats = await api.get("/api/v1/admin/data/stats");
      counts = stats.counts || {};
      const names = [...KNOWN.filter((c) => c in counts), ...Object.keys(counts).filter((c) => !KNOWN.includes(c)).sort()];
      return h("div", null,
        stats.unavailable && stats.unavailable.length
          ? h("p", { class: "form-error", role: "alert" }, `Not answering: ${stats.unavailable.join(", ")}; their collections are missing below.`)
          : null,
        h("div", { class: "data-stat-grid" }, names.map((c) => h("button", {
          type: "button", class: "stat data-stat", dataset: { collection: c }, "aria-pressed": String(c === collection),
          onclick: () => select(c),
        }, h("span", { class: "label" }, label(c)), h("span", { class: "value" }, formatNumber(counts[c]))))));
    });
  }

  let paged = null;
  function loadTable() {
    const name = collection;
    const cols = COLUMNS[name];
    paged = pager({
      label: "Document pages",
      load: async (token) => {
        const res = await api.get(`/api/v1/admin/data/${encodeURIComponent(name)}`, { q, pageSize: 25, pageToken: token });
        return { rows: res.documents || [], next: res.nextPageToken };
      },
      render: (rows) => {
        const keys = cols || [...new Set(rows.flatMap((d) => Object.keys(d)))].filter((k) => k !== "id").slice(0, 4);
        return table({
          rows,
          caption: label(name),
          empty: q ? `No ${label(name).toLowerCase()} match "${q}".` : `No ${label(name).toLowerCase()} in this workspace.`,
          columns: [
            { label: "Id", class: "doc-id", value: (d) => h("code", { title: d.id }, cellText(d.id)) },
            ...keys.map((k) => ({ label: k, value: (d) => cellText(d[k]) })),
            {
              label: "", class: "actions-cell",
              value: (d) => h("div", { class: "row doc-actions" },
                h("button", { type: "button", onclick: () => view(name, d.id), "aria-label": `View ${d.id} as JSON` }, "View"),
                READ_ONLY.has(name) ? null
                  : h("button", { type: "button", class: "danger", onclick: () => remove(name, d.id), "aria-label": `Delete ${d.id}` }, "Delete")),
            },
          ],
        });
      },
    });
    mount(tableBox, READ_ONLY.has(name) ? h("p", { class: "muted" }, "Users are read-only here; manage them on the ", h("a", { href: "#/members" }, "Team"), " page.") : null, paged);
  }

  async function view(name, id) {
    const pre = h("pre", { class: "json", tabindex: "0" });
    const body = h("div", { class: "doc-view" }, spinner());
    const m = modal({ title: `${label(name)} · ${id}`, body, wide: true, actions: [] });
    try {
      const doc = await api.get(`/api/v1/admin/data/${encodeURIComponent(name)}/${encodeURIComponent(id)}`);
      const ordered = Object.fromEntries(Object.keys(doc).sort((a, b) => (a === "id" ? -1 : b === "id" ? 1 : a.localeCompare(b))).map((k) => [k, doc[k]]));
      const text = JSON.stringify(ordered, null, 2);
      pre.textContent = text;
      mount(body, h("div", { class: "row doc-view-tools" },
        h("button", { type: "button", onclick: () => copy(text) }, "Copy JSON"),
        h("button", { type: "button", onclick: () => saveJson(text, `${name}-${id}.json`) }, "Download")), pre);
      pre.focus();
    } catch (err) {
      mount(body, errorBox(err));
    }
    return m;
  }

  async function remove(name, id) {
    const ok = await confirmDialog(`Delete ${label(name).toLowerCase()} ${id} and what depends on it (a conversation's messages, a contact's conversations…)? This cannot be undone.`,
      { title: "Delete document", confirm: "Delete", danger: true });
    if (!ok) return;
    try {
      const res = await api.del(`/api/v1/admin/data/${encodeURIComponent(name)}/${encodeURIComponent(id)}`);
      toast(`Deleted (${formatNumber(res.removed || 1)} records with its dependants)`, "ok");
      paged.reload();
      loadStats();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  function exportDialog() {
    const names = Object.keys(counts).length ? [...KNOWN.filter((c) => c in counts), ...Object.keys(counts).filter((c) => !KNOWN.includes(c))] : KNOWN;
    const result = h("div", { class: "export-result", "aria-live": "polite" });
    const form = h("form", { class: "export-form", novalidate: true },
      h("fieldset", { class: "field", dataset: { field: "collections" } },
        h("legend", null, "Collections"),
        h("p", { class: "help" }, "None ticked: every collection. At most 3 MiB in all; export fewer at a time past that."),
        h("div", { class: "export-choices" }, names.map((c) => field({ label: `${label(c)} (${formatNumber(counts[c] || 0)})`, name: `pick.${c}`, type: "checkbox" }))),
        h("small", { class: "error", role: "alert" })),
      h("div", { class: "form-actions" },
        h("button", { type: "button", onclick: () => m.close() }, "Close"),
        h("button", { type: "submit", class: "primary" }, "Export")),
      result);
    const m = modal({ title: "Export data", body: form, wide: true });
    onSubmit(form, async (values) => {
      mount(result);
      const collections = Object.entries(values).filter(([k, v]) => k.startsWith("pick.") && v).map(([k]) => k.slice(5));
      const res = await api.post("/api/v1/admin/data/export", { collections });
      const text = JSON.stringify(res, null, 2);
      const file = `salesos-export-${(res.exportedAt || new Date().toISOString()).slice(0, 10)}.json`;
      const pre = h("pre", { class: "json export-json", tabindex: "0" });
      pre.textContent = text;
      mount(result,
        h("h3", null, `Exported ${formatTime(res.exportedAt)}`),
        h("ul", { class: "export-counts" }, Object.entries(res.counts || {}).map(([c, n]) => h("li", null, `${label(c)}: ${formatNumber(n)}`))),
        h("div", { class: "row" },
          h("button", { type: "button", class: "primary", onclick: () => saveJson(text, file) }, `Download ${file}`),
          h("button", { type: "button", onclick: () => copy(text) }, "Copy JSON")),
        h("details", null, h("summary", null, `Show the JSON (${formatNumber(text.length)} characters)`), pre));
      saveJson(text, file);
    });
  }

  function clearDialog() {
    const form = h("form", { class: "clear-form", novalidate: true },
      h("p", null, "This removes the workspace's campaigns, templates, segments, conversations, messages, contacts, accounts, contact fields, jobs, analytics and integrations. Users, members, the workspace and its business profile stay. ", h("strong", null, "It cannot be undone.")),
      field({ label: `Type the workspace name, ${workspaceName}, to confirm`, name: "confirm", required: true, autocomplete: "off" }),
      h("div", { class: "form-actions" },
        h("button", { type: "button", onclick: () => m.close() }, "Cancel"),
        h("button", { type: "submit", class: "danger", disabled: true }, "Clear all data")));
    const input = form.querySelector("input[name=confirm]");
    const submit = form.querySelector("button[type=submit]");
    input.addEventListener("input", () => { submit.disabled = input.value !== workspaceName; });
    const m = modal({ title: "Clear all data", body: form });
    onSubmit(form, async (values) => {
      const res = await api.post("/api/v1/admin/data/clear-all", { confirm: values.confirm });
      m.close(true);
      const removed = Object.entries(res.removed || {}).filter(([, n]) => Number(n) > 0);
      toast(removed.length ? `Cleared: ${removed.map(([c, n]) => `${label(c)} ${formatNumber(n)}`).join(", ")}` : "Nothing to clear", "ok", 8000);
      loadStats();
      loadTable();
    });
    input.focus();
  }

  async function loadHealth() {
    await loadInto(healthBox, async () => {
      const health = await api.get("/api/v1/admin/health");
      return h("div", null,
        h("p", null, health.status === "ok" ? badge("all systems ok", "ok") : badge(health.status, "bad"),
          h("span", { class: "muted" }, ` version ${health.version || "?"}`)),
        table({
          rows: health.components || [],
          caption: "Components",
          columns: [
            { label: "Component", value: (c) => c.name },
            { label: "Kind", value: (c) => c.kind },
            { label: "Status", class: "health-status", value: (c) => (c.status === "ok" ? badge("ok", "ok") : h("span", null, badge("down", "bad"), " ", h("small", null, c.status))) },
            { label: "Latency", class: "num", value: (c) => `${Number(c.latencyMs || 0).toFixed(1)} ms` },
            { label: "Engine", value: (c) => c.engine || "—" },
            { label: "Version", value: (c) => c.version || "—" },
          ],
        }));
    });
  }

  mount(root,
    pageHeader("Data manager",
      h("button", { type: "button", onclick: exportDialog }, "Export"),
      isOwner ? h("button", { type: "button", class: "danger", onclick: clearDialog }, "Clear all data") : null),
    h("section", { class: "panel", "aria-labelledby": "collections-title" },
      h("div", { class: "row" }, h("h2", { id: "collections-title" }, "Collections"), h("span", { class: "spacer" }),
        h("button", { type: "button", onclick: () => { loadStats(); paged && paged.reload(); } }, "Refresh")),
      statsBox),
    h("section", { class: "panel", "aria-labelledby": "documents-title" },
      h("h2", { id: "documents-title" }, "Documents"),
      h("div", { class: "data-filters" }, picker, search),
      tableBox),
    h("section", { class: "panel", "aria-labelledby": "health-title" },
      h("div", { class: "row" }, h("h2", { id: "health-title" }, "Health"), h("span", { class: "spacer" }),
        h("button", { type: "button", onclick: loadHealth }, "Check again")),
      healthBox));

  loadStats();
  loadTable();
  loadHealth();
  return undefined;
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast("Copied", "ok", 1500);
  } catch {
    toast("Copy failed: select the text and copy it", "error");
  }
}

function saveJson(text, filename) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = h("a", { href: url, download: filename, class: "sr-only" }, filename);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
