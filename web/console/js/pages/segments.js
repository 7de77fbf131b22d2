// Segments (#/segments, #/segments/new, #/segments/:id): saved audiences as AND/OR rule trees
// (docs/segments.md). The rule builder here is also the broadcast form's custom audience
// (campaigns.js imports ruleBuilder).

import { api, listAll } from "../api.js";
import {
  h, mount, field, onSubmit, showErrors, clearErrors, toast, confirmDialog, table, pageHeader, badge,
  spinner, errorBox, formatNumber, relativeTime, debounce,
} from "../ui.js";
import { hasRole } from "../app.js";
import { live } from "../live.js";
import { OPERATORS, operatorLabel } from "../rules.js";

// ---------------------------------------------------------------------------------------------
// The contact field catalogue (docs/segments.md "Contact fields" and "Operators and values").

export const CONTACT_FIELDS = [
  { name: "firstName", label: "First name", type: "string" },
  { name: "lastName", label: "Last name", type: "string" },
  { name: "fullName", label: "Full name", type: "string" },
  { name: "email", label: "Email", type: "string" },
  { name: "phone", label: "Phone (E.164)", type: "string" },
  { name: "title", label: "Job title", type: "string" },
  { name: "city", label: "City", type: "string" },
  { name: "country", label: "Country (ISO code, FR)", type: "string" },
  { name: "language", label: "Language (ISO code, fr)", type: "string" },
  { name: "accountId", label: "Account id", type: "string" },
  { name: "ownerId", label: "Owner id", type: "string" },
  { name: "source", label: "Source", type: "enum", values: ["chat", "manual", "import", "api"] },
  { name: "platform", label: "Platform", type: "enum", values: ["facebook", "instagram", "whatsapp"] },
  { name: "status", label: "Conversation status", type: "enum", values: ["active", "qualified", "converted", "closed", "archived"] },
  { name: "journeyStage", label: "Journey stage", type: "enum", values: ["awareness", "interest", "consideration", "purchase", "retention"] },
  { name: "leadScore", label: "Lead score", type: "number" },
  { name: "totalSpent", label: "Total spent", type: "number" },
  { name: "ordersCount", label: "Orders", type: "number" },
  { name: "visitCount", label: "Visits", type: "number" },
  { name: "tags", label: "Tags", type: "tags" },
  { name: "createdAt", label: "Added", type: "time" },
  { name: "lastMessageAt", label: "Last message", type: "time" },
  { name: "lastOrderAt", label: "Last order", type: "time" },
  { name: "lastVisit", label: "Last visit", type: "time" },
  { name: "optedOut", label: "Opted out", type: "boolean" },
];

// Declared custom fields (GET /api/v1/contact-fields) as catalogue entries.
export function customCatalogue(decls) {
  const types = { string: "string", number: "number", boolean: "boolean", date: "time", enum: "enum" };
  return (decls || []).map((d) => ({
    name: `customFields.${d.key}`, label: `${d.label || d.key} (custom)`, type: types[d.type] || "string",
    values: d.options || [], custom: true,
  }));
}

export async function loadCatalogue() {
  try {
    const res = await api.get("/api/v1/contact-fields");
    return [...CONTACT_FIELDS, ...customCatalogue(res.fields)];
  } catch {
    return CONTACT_FIELDS;
  }
}

const MAX_DEPTH = 5;

function isGroup(node) {
  return node && (node.op !== undefined || Array.isArray(node.conditions)) && !node.field;
}

function newCondition() {
  return { field: "city", operator: "eq", value: "" };
}

function newGroup() {
  return { op: "and", not: false, conditions: [newCondition()] };
}

// A copy of a tree as the API takes it (no empty `not`, groups keep op/conditions).
export function cleanRules(node) {
  if (isGroup(node)) {
    const out = { op: node.op || "and", conditions: (node.conditions || []).map(cleanRules) };
    if (node.not) out.not = true;
    return out;
  }
  const out = { field: node.field || "", operator: node.operator || "", value: node.value };
  if (node.not) out.not = true;
  return out;
}

function valueMissing(v) {
  return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0) ||
    (typeof v === "number" && !Number.isFinite(v));
}

// True when every condition has a field, an operator and a value (worth asking the server).
export function rulesComplete(node) {
  if (!node) return false;
  if (isGroup(node)) return (node.conditions || []).length > 0 && node.conditions.every(rulesComplete);
  return Boolean(node.field && node.operator) && !valueMissing(node.value);
}

function countConditions(node) {
  if (!node) return 0;
  if (isGroup(node)) return (node.conditions || []).reduce((n, c) => n + countConditions(c), 0);
  return 1;
}

function fieldInfo(catalogue, name) {
  return catalogue.find((f) => f.name === name) ||
    { name, label: `${name} (unknown)`, type: name && name.startsWith("customFields.") ? "string" : "string", unknown: true };
}

// The default value of an operator for a field type, keeping `prev` when it still fits.
function defaultValue(type, op, prev) {
  if (op === "exists") return typeof prev === "boolean" ? prev : true;
  const list = op === "in" || op === "not_in";
  if (list) {
    if (Array.isArray(prev)) return prev;
    return valueMissing(prev) ? [] : [prev];
  }
  if (Array.isArray(prev)) return prev.length ? prev[0] : "";
  if (type === "boolean") return typeof prev === "boolean" ? prev : true;
  if (op === "within_last_days") return typeof prev === "number" ? prev : 30;
  if (type === "number") return typeof prev === "number" ? prev : "";
  if (typeof prev === "string") return prev;
  return "";
}

// ruleBuilder({rules, catalogue, readOnly, onChange, name}) → {el, value(), set(rules)}
// A keyboard-usable editor of a rule tree: groups (all/any, NOT) hold conditions and groups (at
// most 5 deep, 100 conditions). Each control's field name is its API path
// ("rules.conditions[1].operator"), so showErrors() puts the server's complaints next to it.
export function ruleBuilder({ rules, catalogue = CONTACT_FIELDS, readOnly = false, onChange = () => {}, name = "rules" } = {}) {
  let root = rules && isGroup(rules) ? structuredClone(rules) : { op: "and", not: false, conditions: [newCondition()] };
  const el = h("div", { class: "rule-builder" });

  function nodeAt(indices) {
    let n = root;
    for (const i of indices) n = n.conditions[i];
    return n;
  }
  function pathOf(indices) {
    return name + indices.map((i) => `.conditions[${i}]`).join("");
  }
  function changed() {
    onChange(cleanRules(root));
  }
  function rerender(focusSelector) {
    mount(el, renderGroup(root, [], 1));
    if (focusSelector) {
      const f = el.querySelector(focusSelector);
      if (f) f.focus();
    }
  }
  function structural(focusSelector) {
    rerender(focusSelector);
    changed();
  }

  function renderGroup(node, indices, depth) {
    const path = pathOf(indices);
    const isRoot = indices.length === 0;
    const opSelect = field({
      label: isRoot ? "Contacts who match" : "Match", name: `${path}.op`, type: "select", value: node.op || "and",
      options: [["and", "all of these (AND)"], ["or", "any of these (OR)"]], disabled: readOnly,
      onchange: (ev) => { node.op = ev.target.value; changed(); },
    });
    const notBox = field({
      label: "Exclude these (NOT)", name: `${path}.not`, type: "checkbox", value: Boolean(node.not), disabled: readOnly,
      onchange: (ev) => { node.not = ev.target.checked; changed(); },
    });
    const removeBtn = !isRoot && !readOnly ? h("button", {
      type: "button", class: "link rule-remove", "aria-label": `Remove group ${indices.map((i) => i + 1).join(".")}`,
      onclick: () => {
        const parentIdx = indices.slice(0, -1);
        nodeAt(parentIdx).conditions.splice(indices[indices.length - 1], 1);
        structural(`[data-add-for="${pathOf(parentIdx)}"]`);
      },
    }, "Remove group") : null;
    const kids = (node.conditions || []).map((child, i) => {
      const childIdx = [...indices, i];
      return h("li", null, isGroup(child) ? renderGroup(child, childIdx, depth + 1) : renderCondition(child, childIdx));
    });
    const canAddGroup = depth < MAX_DEPTH;
    const full = countConditions(root) >= 100;
    return h("div", { class: ["field", "rule-group", node.not && "rule-not", `rule-depth-${Math.min(depth, 5)}`], dataset: { field: path }, role: "group", "aria-label": isRoot ? "Rules" : `Group ${indices.map((i) => i + 1).join(".")}` },
      h("div", { class: "rule-group-head" }, opSelect, notBox, removeBtn),
      h("small", { class: "error", role: "alert" }),
      kids.length ? h("ol", { class: "rule-items" }, kids) : h("p", { class: "muted" }, "No conditions: add one."),
      readOnly ? null : h("div", { class: "rule-group-actions" },
        h("button", {
          type: "button", dataset: { addFor: path }, disabled: full,
          onclick: () => {
            node.conditions = node.conditions || [];
            node.conditions.push(newCondition());
            structural(`[data-focus="${path}.conditions[${node.conditions.length - 1}].field"]`);
          },
        }, "+ Condition"),
        canAddGroup ? h("button", {
          type: "button", disabled: full,
          onclick: () => {
            node.conditions = node.conditions || [];
            node.conditions.push(newGroup());
            structural(`[data-focus="${path}.conditions[${node.conditions.length - 1}].op"]`);
          },
        }, "+ Group") : null));
  }

  function renderCondition(node, indices) {
    const path = pathOf(indices);
    const info = fieldInfo(catalogue, node.field);
    const ops = OPERATORS[info.type] || OPERATORS.string;
    const fieldOptions = catalogue.map((f) => [f.name, f.label]);
    if (info.unknown) fieldOptions.push([node.field, info.label]);
    const opOptions = ops.map((o) => [o, operatorLabel(info.type, o)]);
    if (node.operator && !ops.includes(node.operator)) opOptions.push([node.operator, `${node.operator} (not for this field)`]);
    const fieldSel = field({
      label: "Field", name: `${path}.field`, type: "select", value: node.field, options: fieldOptions, disabled: readOnly,
      onchange: (ev) => {
        node.field = ev.target.value;
        const t = fieldInfo(catalogue, node.field).type;
        if (!OPERATORS[t].includes(node.operator)) node.operator = OPERATORS[t][0];
        node.value = defaultValue(t, node.operator, t === info.type ? node.value : undefined);
        structural(`[data-focus="${path}.field"]`);
      },
    });
    fieldSel.input.dataset.focus = `${path}.field`;
    const opSel = field({
      label: "Operator", name: `${path}.operator`, type: "select", value: node.operator, options: opOptions, disabled: readOnly,
      onchange: (ev) => {
        node.operator = ev.target.value;
        node.value = defaultValue(info.type, node.operator, node.value);
        structural(`[data-focus="${path}.operator"]`);
      },
    });
    opSel.input.dataset.focus = `${path}.operator`;
    const valueField = renderValue(node, info, path);
    const notBox = node.not ? field({
      label: "NOT", name: `${path}.not`, type: "checkbox", value: true, disabled: readOnly,
      onchange: (ev) => { node.not = ev.target.checked; changed(); },
    }) : null;
    const remove = readOnly ? null : h("button", {
      type: "button", class: "link rule-remove", "aria-label": `Remove condition ${indices.map((i) => i + 1).join(".")}`,
      onclick: () => {
        const parentIdx = indices.slice(0, -1);
        nodeAt(parentIdx).conditions.splice(indices[indices.length - 1], 1);
        structural(`[data-add-for="${pathOf(parentIdx)}"]`);
      },
    }, "Remove");
    return h("div", { class: ["field", "rule-cond"], dataset: { field: path } },
      h("small", { class: "error", role: "alert" }),
      h("div", { class: "rule-cond-row" }, fieldSel, opSel, valueField, notBox, remove));
  }

  function renderValue(node, info, path) {
    const op = node.operator;
    const name = `${path}.value`;
    const common = { label: "Value", name, disabled: readOnly };
    let f;
    if (op === "exists") {
      f = field({ ...common, type: "select", value: String(node.value !== false),
        options: [["true", "yes"], ["false", "no"]],
        onchange: (ev) => { node.value = ev.target.value === "true"; changed(); } });
    } else if (info.type === "boolean") {
      f = field({ ...common, type: "select", value: String(node.value !== false),
        options: [["true", "true"], ["false", "false"]],
        onchange: (ev) => { node.value = ev.target.value === "true"; changed(); } });
    } else if (info.type === "enum" && (op === "eq" || op === "ne")) {
      const opts = (info.values || []).map((v) => [v, v]);
      if (node.value && !(info.values || []).includes(node.value)) opts.push([node.value, node.value]);
      if (!node.value && opts.length) node.value = opts[0][0];
      f = field({ ...common, type: "select", value: node.value, options: opts,
        onchange: (ev) => { node.value = ev.target.value; changed(); } });
    } else if (info.type === "enum" && (op === "in" || op === "not_in") && (info.values || []).length) {
      const chosen = new Set(Array.isArray(node.value) ? node.value : []);
      f = h("fieldset", { class: "field rule-choices", dataset: { field: name } },
        h("legend", null, "Values"),
        info.values.map((v) => h("label", { class: "rule-choice" },
          h("input", { type: "checkbox", name: `${name}[]`, value: v, checked: chosen.has(v), disabled: readOnly,
            onchange: (ev) => {
              if (ev.target.checked) chosen.add(v); else chosen.delete(v);
              node.value = info.values.filter((x) => chosen.has(x));
              changed();
            } }), ` ${v}`)),
        h("small", { class: "error", role: "alert" }));
      return f;
    } else if (op === "in" || op === "not_in") {
      const list = Array.isArray(node.value) ? node.value : [];
      f = field({ ...common, value: list.join(", "), placeholder: "a, b, c", help: "Separate values with commas",
        oninput: (ev) => {
          const parts = ev.target.value.split(",").map((s) => s.trim()).filter(Boolean);
          node.value = info.type === "number" ? parts.map(Number) : parts;
          changed();
        } });
    } else if (op === "within_last_days") {
      f = field({ ...common, label: "Days", type: "number", min: 1, max: 36500, step: 1, value: node.value,
        oninput: (ev) => { node.value = ev.target.value === "" ? "" : Number(ev.target.value); changed(); } });
    } else if (info.type === "time") {
      const v = typeof node.value === "string" ? node.value : "";
      const plainDate = v === "" || /^\d{4}-\d{2}-\d{2}$/.test(v);
      f = field({ ...common, type: plainDate ? "date" : "text", value: v, placeholder: "YYYY-MM-DD",
        oninput: (ev) => { node.value = ev.target.value; changed(); } });
    } else if (info.type === "number") {
      f = field({ ...common, type: "number", step: "any", value: node.value,
        oninput: (ev) => { node.value = ev.target.value === "" ? "" : Number(ev.target.value); changed(); } });
    } else {
      f = field({ ...common, value: typeof node.value === "string" ? node.value : String(node.value ?? ""),
        placeholder: info.type === "tags" ? "tag" : "",
        oninput: (ev) => { node.value = ev.target.value; changed(); } });
    }
    if (f.input) f.input.dataset.focus = name;
    return f;
  }

  rerender();
  return {
    el,
    value: () => cleanRules(root),
    set(rulesTree, { silent = false } = {}) {
      root = rulesTree && isGroup(rulesTree) ? structuredClone(rulesTree) : { op: "and", not: false, conditions: [newCondition()] };
      if (root.not === undefined) root.not = false;
      rerender();
      if (!silent) changed();
    },
  };
}

// A tree in one line ("city is one of Lyon, Paris AND (has the tag vip OR platform is whatsapp)").
export function explainRules(node, catalogue = CONTACT_FIELDS, top = true) {
  if (!node) return "";
  if (isGroup(node)) {
    const parts = (node.conditions || []).map((c) => explainRules(c, catalogue, false));
    let text = parts.join(node.op === "or" ? " OR " : " AND ");
    if (!top && parts.length > 1) text = `(${text})`;
    return node.not ? `NOT (${parts.join(node.op === "or" ? " OR " : " AND ")})` : text;
  }
  const info = fieldInfo(catalogue, node.field);
  const v = Array.isArray(node.value) ? node.value.join(", ") : node.operator === "exists" ? (node.value === false ? "no" : "yes") : String(node.value ?? "");
  const text = info.type === "tags" ? `${operatorLabel("tags", node.operator)} ${node.operator === "exists" ? "" : v}`.trim()
    : `${info.label.replace(/ \(.*\)$/, "")} ${operatorLabel(info.type, node.operator).replace(" … days", "")} ${node.operator === "within_last_days" ? `${v} days` : v}`;
  return node.not ? `NOT ${text}` : text;
}

// ---------------------------------------------------------------------------------------------
// Shared bits.

export function contactName(c) {
  return c.fullName || [c.firstName, c.lastName].filter(Boolean).join(" ") || c.email || c.phone || c.id;
}

function contactColumns() {
  return [
    { label: "Name", value: (c) => contactName(c) },
    { label: "Email", value: (c) => c.email || "" },
    { label: "Phone", value: (c) => c.phone || "" },
    { label: "Tags", value: (c) => h("span", { class: "tag-list" }, (c.tags || []).map((t) => badge(t, "info"))) },
  ];
}

// The live count and sample of a tree (POST /api/v1/segments/preview), debounced.
function previewPanel(builderWrap) {
  const count = h("p", { class: "seg-count", role: "status", "aria-live": "polite" }, "");
  const sample = h("div", { class: "seg-sample stack-on-phone" });
  const el = h("section", { class: "panel seg-preview", "aria-label": "Preview" },
    h("h2", null, "Who it reaches now"), count, sample);
  let seq = 0;
  async function run(rules) {
    const mine = ++seq;
    clearErrors(builderWrap);
    if (!rulesComplete(rules)) {
      count.textContent = "Finish every condition (a field, an operator and a value) to see the count.";
      mount(sample);
      return;
    }
    count.textContent = "Counting…";
    try {
      const res = await api.post("/api/v1/segments/preview", { rules });
      if (mine !== seq) return;
      const n = Number(res.count || 0);
      mount(count, h("strong", null, formatNumber(n)), n === 1 ? " contact matches" : " contacts match");
      const rows = res.sample || [];
      mount(sample, rows.length
        ? [h("h3", null, rows.length < n ? `The first ${rows.length}` : "They are"), table({ columns: contactColumns(), rows, caption: "Sample of matching contacts" })]
        : h("p", { class: "empty" }, "No contact matches these rules yet."));
    } catch (err) {
      if (mine !== seq) return;
      count.textContent = "These rules cannot be counted yet; see the messages beside them.";
      mount(sample);
      showErrors(builderWrap, err);
    }
  }
  const debounced = debounce(run, 400);
  return { el, update: debounced, now: run };
}

// ---------------------------------------------------------------------------------------------
// #/segments

export async function list(root, ctx) {
  const canWrite = hasRole("agent");
  const search = field({ label: "Search segments", name: "q", type: "search", value: ctx.query.q || "", placeholder: "Name" });
  const body = h("div", { class: "stack-on-phone" }, spinner());
  const more = h("div", { class: "row seg-more" });
  mount(root,
    pageHeader("Segments", canWrite ? h("a", { class: "button primary", href: "#/segments/new" }, "New segment") : null),
    h("p", { class: "muted" }, "Saved audiences: rules over your contacts' fields, counted live. Use them to filter contacts and as broadcast audiences."),
    h("form", { class: "list-filters", role: "search", onsubmit: (ev) => { ev.preventDefault(); reload(); } }, search),
    body, more);

  let rows = [];
  let token = "";
  let seq = 0;
  const counts = new Map();

  async function fillCount(seg, cell) {
    if (counts.has(seg.id)) {
      cell.textContent = formatNumber(counts.get(seg.id));
      return;
    }
    try {
      const res = await api.get(`/api/v1/segments/${encodeURIComponent(seg.id)}/contacts`, { pageSize: 1 });
      counts.set(seg.id, Number(res.totalCount || 0));
      cell.textContent = formatNumber(res.totalCount || 0);
    } catch (err) {
      cell.textContent = "—";
      cell.title = err.message;
    }
  }

  function draw() {
    const countCells = new Map();
    mount(body, table({
      caption: "Segments",
      columns: [
        { label: "Name", value: (s) => h("a", { href: `#/segments/${encodeURIComponent(s.id)}` }, s.name) },
        { label: "Rules", value: (s) => h("span", { class: "seg-explain" }, s.explanation || "") },
        { label: "Contacts", class: "num", value: (s) => { const c = h("span", null, "…"); countCells.set(s.id, c); return c; } },
        { label: "Updated", value: (s) => relativeTime(s.updatedAt) },
      ],
      rows,
      empty: canWrite ? "No segments yet. Create one to target a broadcast." : "No segments yet.",
    }));
    for (const s of rows) if (countCells.has(s.id)) fillCount(s, countCells.get(s.id));
    mount(more, token ? h("button", { type: "button", onclick: () => page(true) }, "Load more") : null);
  }

  async function page(append) {
    const mine = ++seq;
    if (!append) mount(body, spinner());
    try {
      const res = await api.get("/api/v1/segments", { q: search.input.value.trim(), pageSize: 50, pageToken: append ? token : "" });
      if (mine !== seq) return;
      rows = append ? [...rows, ...(res.segments || [])] : res.segments || [];
      token = res.nextPageToken || "";
      draw();
    } catch (err) {
      if (mine === seq) mount(body, errorBox(err));
    }
  }
  function reload() {
    counts.clear();
    page(false);
  }
  search.input.addEventListener("input", debounce(reload, 300));
  await page(false);
  const off = live.on("resync", reload);
  return () => off();
}

// ---------------------------------------------------------------------------------------------
// #/segments/new and #/segments/:id

export async function edit(root, ctx) {
  const id = ctx.params.id || "";
  const canWrite = hasRole("agent");
  mount(root, spinner());
  let segment = null;
  let catalogue;
  try {
    [segment, catalogue] = await Promise.all([
      id ? api.get(`/api/v1/segments/${encodeURIComponent(id)}`) : Promise.resolve(null),
      loadCatalogue(),
    ]);
  } catch (err) {
    mount(root, pageHeader("Segment"), errorBox(err), h("p", null, h("a", { href: "#/segments" }, "Back to segments")));
    return undefined;
  }
  const readOnly = !canWrite;
  const form = h("form", { class: "seg-form", novalidate: true });
  const builderWrap = h("div", { class: "rule-wrap" });
  const preview = previewPanel(builderWrap);
  const builder = ruleBuilder({
    rules: segment ? segment.rules : null, catalogue, readOnly,
    onChange: (rules) => preview.update(rules),
  });
  mount(builderWrap, builder.el);

  const nameField = field({ label: "Segment name", name: "name", required: true, maxlength: 200, value: segment ? segment.name : "", disabled: readOnly });
  const descField = field({ label: "Description", name: "description", type: "textarea", rows: 2, value: segment ? segment.description : "", disabled: readOnly });
  const explanation = h("p", { class: "seg-explain muted" }, segment && segment.explanation ? `Saved rules: ${segment.explanation}` : "");

  // Describe it in words → POST /api/v1/ai/segment-rules.
  const aiNote = h("div", { class: "ai-note", role: "status" });
  const aiForm = canWrite ? onSubmit(h("form", { class: "panel seg-ai", novalidate: true },
    h("h2", null, "Describe it in words"),
    field({ label: "Describe the audience", name: "text", type: "textarea", rows: 2, required: true, maxlength: 2000,
      placeholder: "customers from Lyon or Paris tagged vip who wrote in the last 30 days" }),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Fill the rules")),
    aiNote), async (values) => {
    const res = await api.post("/api/v1/ai/segment-rules", { text: values.text });
    builder.set(res.rules);
    mount(aiNote,
      h("p", null, h("strong", null, "Understood: "), res.explanation || "(nothing)"),
      (res.unparsed || []).length ? h("p", { class: "warn-text" }, h("strong", null, "Not understood (no rule made): "), res.unparsed.join("; ")) : null,
      res.fallbackReason ? h("p", { class: "muted" }, `The built-in parser answered (${res.fallbackReason}).`) : null);
    toast("Rules filled from your description: check them below.", "ok");
  }) : null;

  const saveBtn = h("button", { type: "submit", class: "primary" }, id ? "Save segment" : "Create segment");
  const conflict = h("div", { class: "conflict" });
  mount(form,
    conflict,
    nameField, descField,
    h("h2", null, "Rules"),
    builderWrap,
    explanation,
    readOnly ? h("p", { class: "muted" }, "You can read this segment; changing it needs the agent role.") : h("div", { class: "form-actions" }, saveBtn));

  const actions = [];
  if (id && hasRole("admin")) {
    actions.push(h("button", { type: "button", onclick: () => api.download("GET", "/api/v1/contacts/export", { segmentId: id, format: "csv" }).catch((e) => toast(e.message, "error")) }, "Export contacts"));
  }
  if (id && canWrite) {
    actions.push(h("button", {
      type: "button", class: "danger",
      onclick: async () => {
        if (!(await confirmDialog(`Delete the segment "${segment.name}"? Broadcasts already sent to it keep their copy of its rules.`, { title: "Delete segment", confirm: "Delete", danger: true }))) return;
        try {
          await api.del(`/api/v1/segments/${encodeURIComponent(id)}`);
          toast("Segment deleted.", "ok");
          ctx.navigate("/segments");
        } catch (err) {
          toast(err.message, "error");
        }
      },
    }, "Delete"));
  }

  const contactsBox = h("section", { class: "panel seg-contacts stack-on-phone", "aria-label": "Contacts in this segment" });
  mount(root,
    h("p", { class: "page-crumbs" }, h("a", { href: "#/segments" }, "Segments"), " / "),
    pageHeader(segment ? segment.name : "New segment", ...actions),
    h("div", { class: "seg-layout" },
      h("div", { class: "seg-main" }, aiForm, h("section", { class: "panel" }, form)),
      h("div", { class: "seg-side" }, preview.el)),
    id ? contactsBox : null);

  onSubmit(form, async () => {
    if (readOnly) return;
    clearErrors(builderWrap);
    const rules = builder.value();
    const body = { name: nameField.input.value.trim(), description: descField.input.value, rules };
    if (!id) {
      const created = await api.post("/api/v1/segments", body);
      toast("Segment created.", "ok");
      ctx.navigate(`/segments/${created.id}`);
      return;
    }
    const mask = [];
    if (body.name !== segment.name) mask.push("name");
    if (body.description !== (segment.description || "")) mask.push("description");
    if (JSON.stringify(rules) !== JSON.stringify(cleanRules(segment.rules || {}))) mask.push("rules");
    if (!mask.length) {
      toast("Nothing changed.");
      return;
    }
    try {
      segment = await api.patch(`/api/v1/segments/${encodeURIComponent(id)}`, { segment: body, updateMask: mask, expectedUpdateTime: segment.updatedAt });
    } catch (err) {
      if (err.code === "ABORTED") {
        mount(conflict, h("div", { class: "form-error", role: "alert" },
          "Someone else changed this segment after you opened it. ",
          h("button", { type: "button", onclick: () => ctx.navigate(`/segments/${id}`) }, "Reload it (drop my changes)")));
        return;
      }
      throw err;
    }
    mount(conflict);
    explanation.textContent = segment.explanation ? `Saved rules: ${segment.explanation}` : "";
    root.querySelector(".page-header h1").textContent = segment.name;
    toast("Segment saved.", "ok");
    loadContacts("");
  });

  // The saved segment's contacts, paged (GET /api/v1/segments/{id}/contacts).
  const tokens = [""];
  let at = 0;
  async function loadContacts(token) {
    if (!id) return;
    mount(contactsBox, h("h2", null, "Contacts in this segment"), spinner());
    try {
      const res = await api.get(`/api/v1/segments/${encodeURIComponent(id)}/contacts`, { pageSize: 50, pageToken: token });
      const next = res.nextPageToken || "";
      mount(contactsBox,
        h("h2", null, "Contacts in this segment ", h("span", { class: "muted" }, `(${formatNumber(res.totalCount || 0)})`)),
        table({ columns: contactColumns(), rows: res.contacts || [], empty: "No contact is in this segment now.", caption: "Contacts in this segment" }),
        h("div", { class: "row list-pager" },
          h("button", { type: "button", disabled: at === 0, onclick: () => { at -= 1; loadContacts(tokens[at]); } }, "Previous"),
          h("span", { class: "muted" }, `Page ${at + 1}`),
          h("button", { type: "button", disabled: !next, onclick: () => { at += 1; tokens[at] = next; loadContacts(next); } }, "Next")));
    } catch (err) {
      mount(contactsBox, h("h2", null, "Contacts in this segment"), errorBox(err));
    }
  }
  loadContacts("");
  preview.now(builder.value());
  const off = live.on("resync", () => { preview.update(builder.value()); loadContacts(tokens[at]); });
  return () => off();
}
