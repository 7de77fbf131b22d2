// Automations (docs/automations.md, AutomationService in proto/salesos/conversation/v1):
//   #/automations      the list, with each rule's state, runs and last run
//   #/automations/new  the editor (admins and owners)
//   #/automations/:id  the editor (read-only below admin) and the rule's executions
// Field names are the API's paths (name, schedule.time, conditions.conditions[0].field,
// actions[2].tag) so the API's errors land next to the field at fault.

import { api, listAll } from "../api.js";
import {
  h, mount, field, onSubmit, showErrors, toast, confirmDialog, table, pageHeader, badge, spinner,
  loadInto, errorBox, formatNumber, formatTime, relativeTime, debounce, pager, timeZoneOptions } from "../ui.js";
import { hasRole } from "../app.js";
import { live } from "../live.js";
import { OPERATORS, operatorLabel } from "../rules.js";

export const EVENTS = [
  ["message.received", "A customer's message arrives"],
  ["conversation.created", "A conversation is opened"],
  ["conversation.status_changed", "A conversation's status changes"],
  ["lead.scored", "The AI scores a lead"],
  ["contact.created", "A contact is created"],
  ["schedule.daily", "Every day at a set time"],
];
const EVENT_LABEL = Object.fromEntries(EVENTS);

const CONVERSATION_STATUSES = ["active", "qualified", "converted", "closed", "archived"];
const PLATFORMS = ["facebook", "instagram", "whatsapp"];
const JOURNEY_STAGES = ["awareness", "interest", "consideration", "purchase", "retention"];

// The segment catalogue (docs/segments.md) and the automation scope's fields.
const CONTACT_FIELDS = [
  ["firstName", "string", "First name"], ["lastName", "string", "Last name"],
  ["fullName", "string", "Full name"], ["email", "string", "Email"], ["phone", "string", "Phone (E.164)"],
  ["title", "string", "Job title"], ["city", "string", "City"], ["country", "string", "Country (ISO code)"],
  ["language", "string", "Language (ISO code)"], ["accountId", "string", "Account id"],
  ["ownerId", "string", "Owner id"],
  ["source", "enum", "Source", ["chat", "manual", "import", "api"]],
  ["platform", "enum", "Reachable on", PLATFORMS],
  ["status", "enum", "Latest conversation status", CONVERSATION_STATUSES],
  ["journeyStage", "enum", "Journey stage", JOURNEY_STAGES],
  ["leadScore", "number", "Lead score"], ["totalSpent", "number", "Total spent"],
  ["ordersCount", "number", "Orders"], ["visitCount", "number", "Visits"],
  ["tags", "tags", "Tags"],
  ["createdAt", "time", "Created"], ["lastMessageAt", "time", "Last message"],
  ["lastOrderAt", "time", "Last order"], ["lastVisit", "time", "Last visit"],
  ["optedOut", "boolean", "Opted out"],
];
const CONVERSATION_FIELDS = [
  ["conversation.status", "enum", "Conversation status", CONVERSATION_STATUSES],
  ["conversation.handler", "enum", "Conversation handler", ["ai", "agent"]],
  ["conversation.platform", "enum", "Conversation platform", PLATFORMS],
  ["conversation.leadScore", "number", "Conversation lead score"],
  ["conversation.campaignId", "string", "Conversation campaign id"],
];
const MESSAGE_FIELDS = [
  ["message.text", "string", "Message text"],
  ["message.type", "string", "Message type (text, image, audio…)"],
  ["message.sender", "enum", "Message sender", ["customer", "ai", "agent", "system"]],
];
const STATUS_CHANGE_FIELDS = [["event.previousStatus", "enum", "Previous status", CONVERSATION_STATUSES]];

export const ACTIONS = [
  ["send_message", "Send a message"],
  ["add_tag", "Add a tag"],
  ["remove_tag", "Remove a tag"],
  ["set_journey_stage", "Set the journey stage"],
  ["assign_agent", "Assign to an agent"],
  ["handoff", "Hand off to agents"],
  ["set_status", "Set the conversation status"],
  ["webhook", "Call a webhook"],
];
const ACTION_LABEL = Object.fromEntries(ACTIONS);
const NEEDS_CONVERSATION = new Set(["send_message", "assign_agent", "handoff", "set_status"]);
const MAX_ACTIONS = 20;
const MAX_DEPTH = 5;

// Which fields a rule on this event can test.
function fieldsFor(event, custom) {
  const groups = [["Contact", CONTACT_FIELDS]];
  if (custom.length) groups.push(["Custom fields", custom]);
  if (event !== "contact.created" && event !== "schedule.daily") groups.push(["Conversation", CONVERSATION_FIELDS]);
  if (event === "message.received") groups.push(["Message", MESSAGE_FIELDS]);
  if (event === "conversation.status_changed") groups.push(["Event", STATUS_CHANGE_FIELDS]);
  return groups;
}

function customCatalogue(fields) {
  return fields.map((f) => [`customFields.${f.key}`, f.type === "date" ? "date" : f.type, f.label || f.key, f.options || []]);
}

function typeOf(name, groups) {
  for (const [, list] of groups) {
    const f = list.find((x) => x[0] === name);
    if (f) return { type: f[1] === "date" ? "time" : f[1], values: f[3] || [], isDate: f[1] === "date" };
  }
  return { type: "string", values: [], unknown: true };
}

function executionBadge(status) {
  const kind = { succeeded: "ok", failed: "bad", skipped: "warn", running: "info" }[status] || "";
  return badge(status || "unknown", kind);
}

function activeBadge(a) {
  return a.isActive ? badge("enabled", "ok") : badge("paused", "warn");
}


// ---------------------------------------------------------------------------------------------
// The list

export async function list(root, ctx) {
  const canWrite = hasRole("admin");
  const filter = field({
    label: "Event", name: "event", type: "select", value: ctx.query.event || "",
    options: [["", "Every event"], ...EVENTS.map(([v, t]) => [v, t])],
    onchange: () => ctx.navigate(`/automations${filter.input.value ? `?event=${encodeURIComponent(filter.input.value)}` : ""}`),
  });
  const toggle = async (a, btn) => {
    btn.disabled = true;
    try {
      await api.patch(`/api/v1/automations/${a.id}`, { automation: { isActive: !a.isActive }, updateMask: ["isActive"] });
      toast(a.isActive ? `"${a.name}" paused` : `"${a.name}" enabled`, "ok");
      paged.reload();
    } catch (err) {
      toast(err.message, "error");
      btn.disabled = false;
    }
  };
  const paged = pager({
    label: "Automation pages",
    load: async (token) => {
      const res = await api.get("/api/v1/automations", { event: ctx.query.event, pageSize: 50, pageToken: token });
      return { rows: res.automations || [], next: res.nextPageToken };
    },
    render: (rows) => table({
      rows,
      caption: "Automations",
      empty: ctx.query.event ? "No automation runs on this event." : "No automations yet. An automation tags, assigns, answers or notifies when something happens to a contact.",
      columns: [
        { label: "Name", value: (a) => h("a", { href: `#/automations/${a.id}` }, a.name) },
        { label: "When", value: (a) => EVENT_LABEL[a.event] || a.event },
        { label: "State", value: activeBadge },
        { label: "Actions", value: (a) => (a.actions || []).map((x) => ACTION_LABEL[x.type] || x.type).join(", ") },
        { label: "Priority", class: "num", value: (a) => String(a.priority || 0) },
        { label: "Runs", class: "num", value: (a) => formatNumber(a.executionCount) },
        { label: "Last run", value: (a) => a.lastExecutedAt ? h("time", { datetime: a.lastExecutedAt, title: formatTime(a.lastExecutedAt) }, relativeTime(a.lastExecutedAt)) : h("span", { class: "muted" }, "never") },
        canWrite ? {
          label: "", class: "actions-cell",
          value: (a) => h("button", { type: "button", onclick: (ev) => toggle(a, ev.currentTarget), "aria-label": `${a.isActive ? "Pause" : "Enable"} ${a.name}` }, a.isActive ? "Pause" : "Enable"),
        } : null,
      ].filter(Boolean),
    }),
  });
  mount(root,
    pageHeader("Automations", canWrite ? h("a", { class: "button primary", href: "#/automations/new" }, "New automation") : null),
    h("div", { class: "automation-filters row" }, filter),
    paged);
  const offResync = live.on("resync", () => paged.reload());
  return () => offResync();
}

// ---------------------------------------------------------------------------------------------
// The editor

function blankCondition() {
  return { field: "", operator: "", value: "" };
}

function isGroup(node) {
  return node && (node.op !== undefined || Array.isArray(node.conditions)) && !node.field;
}

// The API's value (a string, number, boolean or list) as the text the inputs show.
function valueText(v) {
  if (Array.isArray(v)) return v.join(", ");
  if (v === undefined || v === null) return "";
  return String(v);
}

// The value the API wants, from the inputs' text, by field type and operator.
function apiValue(text, type, operator) {
  const t = String(text ?? "").trim();
  if (operator === "exists") return t !== "false";
  if (operator === "within_last_days") return t === "" ? t : Number(t);
  const one = (s) => {
    if (type === "number") return s === "" ? s : Number(s);
    if (type === "boolean") return s === "true";
    return s;
  };
  if (operator === "in" || operator === "not_in") {
    return t.split(",").map((s) => s.trim()).filter(Boolean).map(one);
  }
  return one(t);
}

export async function edit(root, ctx) {
  const id = ctx.params.id;
  const canWrite = hasRole("admin");
  mount(root, spinner());
  let automation;
  let members = [];
  let webhooks = null;  // null: cannot be listed (not admin); a text input then
  let templates = [];
  let custom = [];
  try {
    const [a, m, w, t, cf] = await Promise.all([
      id ? api.get(`/api/v1/automations/${id}`) : Promise.resolve(null),
      listAll("/api/v1/workspace/members", "members").catch(() => []),
      canWrite ? listAll("/api/v1/webhooks", "webhooks").catch(() => null) : Promise.resolve(null),
      listAll("/api/v1/templates", "templates").catch(() => []),
      api.get("/api/v1/contact-fields").then((r) => r.fields || []).catch(() => []),
    ]);
    automation = a || {
      name: "", event: "message.received", isActive: true, priority: 0, conditions: null,
      actions: [{ type: "add_tag", tag: "" }], schedule: { time: "09:00", timezone: "UTC" },
    };
    members = m;
    webhooks = w;
    templates = t;
    custom = customCatalogue(cf);
  } catch (err) {
    mount(root, pageHeader("Automation"), errorBox(err), h("p", null, h("a", { href: "#/automations" }, "Back to automations")));
    return undefined;
  }

  // The editable model: a root group and the actions, kept in step with the inputs.
  const state = {
    event: automation.event || "message.received",
    rules: isGroup(automation.conditions)
      ? structuredClone(automation.conditions)
      : { op: "and", not: false, conditions: [] },
    actions: (automation.actions || []).map((x) => ({ ...x })),
  };
  if (!state.rules.op) state.rules.op = "and";
  if (!Array.isArray(state.rules.conditions)) state.rules.conditions = [];

  const readOnly = !canWrite;
  const title = id ? automation.name : "New automation";

  // --- basics
  const eventField = field({
    label: "When", name: "event", type: "select", value: state.event, required: true,
    options: EVENTS, help: "The event that starts the automation.",
    onchange: () => { state.event = eventField.input.value; syncEvent(); renderRules(); renderActions(); },
  });
  const scheduleBox = h("div", { class: "automation-schedule grid" },
    field({ label: "Time of day", name: "schedule.time", type: "time", value: (automation.schedule && automation.schedule.time) || "09:00", help: "HH:MM, each day." }),
    timezoneField((automation.schedule && automation.schedule.timezone) || "UTC"));
  function syncEvent() {
    scheduleBox.hidden = state.event !== "schedule.daily";
    for (const el of scheduleBox.querySelectorAll("input, select")) el.disabled = readOnly || scheduleBox.hidden;
  }

  // --- conditions
  const rulesBox = h("div", { class: "rule-tree" });
  function renderRules() {
    const groups = fieldsFor(state.event, custom);
    mount(rulesBox,
      state.rules.conditions.length === 0
        ? h("p", { class: "muted rule-none" }, "No conditions: the automation runs on every such event.")
        : null,
      groupEditor(state.rules, "conditions", 1, groups, null));
    if (readOnly) for (const el of rulesBox.querySelectorAll("input, select, textarea, button")) el.disabled = true;
  }

  function groupEditor(group, path, depth, groups, onRemove) {
    const items = group.conditions.map((node, i) => {
      const p = `${path}.conditions[${i}]`;
      const remove = () => { group.conditions.splice(i, 1); renderRules(); };
      return isGroup(node) ? groupEditor(node, p, depth + 1, groups, remove) : conditionEditor(node, p, groups, remove);
    });
    const head = h("div", { class: "rule-group-head" },
      field({
        label: depth === 1 ? "Match" : "Group matches", name: `${path}.op`, type: "select", value: group.op || "and",
        options: [["and", "all of these conditions"], ["or", "any of these conditions"]],
        onchange: (ev) => { group.op = ev.target.value; },
      }),
      field({ label: "Negate (NOT)", name: `${path}.not`, type: "checkbox", value: group.not, onchange: (ev) => { group.not = ev.target.checked; } }),
      onRemove ? h("button", { type: "button", class: "link danger-link", onclick: onRemove }, "Remove group") : null);
    const add = h("div", { class: "row rule-add" },
      h("button", { type: "button", onclick: () => { group.conditions.push(blankCondition()); renderRules(); focusLast(path); } }, "Add condition"),
      depth < MAX_DEPTH
        ? h("button", { type: "button", onclick: () => { group.conditions.push({ op: "or", not: false, conditions: [blankCondition()] }); renderRules(); } }, "Add group")
        : null);
    return h(depth === 1 ? "div" : "fieldset", { class: ["rule-group", `rule-depth-${depth}`], dataset: { field: path } },
      depth === 1 ? null : h("legend", null, "Group"),
      head,
      h("ol", { class: "rule-list" }, items.map((el) => h("li", null, el))),
      add);
  }

  function focusLast(path) {
    const sels = rulesBox.querySelectorAll(`select[name^="${path}.conditions["][name$="].field"]`);
    if (sels.length) sels[sels.length - 1].focus();
  }

  function conditionEditor(node, path, groups, onRemove) {
    const info = typeOf(node.field, groups);
    const fieldOptions = [h("option", { value: "" }, "Choose a field…")];
    let known = false;
    for (const [label, list] of groups) {
      fieldOptions.push(h("optgroup", { label }, list.map((f) => {
        if (f[0] === node.field) known = true;
        return h("option", { value: f[0], selected: f[0] === node.field }, f[2]);
      })));
    }
    if (node.field && !known) fieldOptions.push(h("option", { value: node.field, selected: true }, node.field));
    const fieldSel = field({ label: "Field", name: `${path}.field`, type: "select", options: [] });
    mount(fieldSel.input, fieldOptions);
    fieldSel.input.value = node.field || "";
    fieldSel.input.addEventListener("change", () => {
      node.field = fieldSel.input.value;
      const t = typeOf(node.field, groups).type;
      if (!OPERATORS[t].includes(node.operator)) node.operator = OPERATORS[t][0];
      node.value = node.operator === "exists" ? true : "";
      renderRules();
      const again = rulesBox.querySelector(`[name="${path}.field"]`);
      if (again) again.focus();
    });

    const ops = node.field ? OPERATORS[info.type] : [];
    const opSel = field({
      label: "Operator", name: `${path}.operator`, type: "select", value: node.operator,
      options: ops.map((o) => [o, operatorLabel(info.type, o)]),
      disabled: !node.field,
    });
    if (node.field && !node.operator) node.operator = ops[0];
    opSel.input.value = node.operator || "";
    opSel.input.addEventListener("change", () => {
      const before = node.operator;
      node.operator = opSel.input.value;
      if (node.operator === "exists") node.value = true;
      else if (before === "exists" || before === "within_last_days" || node.operator === "within_last_days") node.value = "";
      renderRules();
    });

    const valueEl = valueEditor(node, path, info);
    return h("div", { class: "rule-condition" }, fieldSel, opSel, valueEl,
      h("button", { type: "button", class: "icon rule-remove", "aria-label": "Remove condition", title: "Remove condition", onclick: onRemove }, "×"));
  }

  function valueEditor(node, path, info) {
    const name = `${path}.value`;
    const set = (v) => { node.value = apiValue(v, info.type, node.operator); };
    const op = node.operator;
    if (!node.field) return field({ label: "Value", name, disabled: true });
    if (op === "exists") {
      const f = field({ label: "Value", name, type: "select", value: node.value === false ? "false" : "true", options: [["true", "yes"], ["false", "no"]], onchange: (ev) => set(ev.target.value) });
      set(f.input.value);
      return f;
    }
    if (op === "within_last_days") {
      return field({ label: "Days", name, type: "number", min: 1, max: 36500, step: 1, value: valueText(node.value), required: true, oninput: (ev) => set(ev.target.value) });
    }
    if (info.type === "time" && (op === "before" || op === "after")) {
      const v = valueText(node.value).slice(0, 10);
      return field({ label: "Date", name, type: "date", value: v, required: true, oninput: (ev) => set(ev.target.value) });
    }
    if (info.type === "boolean") {
      const f = field({ label: "Value", name, type: "select", value: node.value === false ? "false" : "true", options: [["true", "true"], ["false", "false"]], onchange: (ev) => set(ev.target.value) });
      set(f.input.value);
      return f;
    }
    if (info.type === "enum" && info.values.length) {
      if (op === "in" || op === "not_in") {
        const chosen = new Set(Array.isArray(node.value) ? node.value : []);
        const sel = field({ label: "Values", name, type: "select", multiple: true, options: info.values.map((v) => [v, v]), help: "Ctrl/Cmd-click to pick several." });
        for (const o of sel.input.options) o.selected = chosen.has(o.value);
        sel.input.size = Math.min(info.values.length, 5);
        sel.input.addEventListener("change", () => { node.value = [...sel.input.selectedOptions].map((o) => o.value); });
        node.value = [...chosen];
        return sel;
      }
      const f = field({ label: "Value", name, type: "select", value: valueText(node.value), options: info.values.map((v) => [v, v]), onchange: (ev) => set(ev.target.value) });
      set(f.input.value);
      return f;
    }
    const list = op === "in" || op === "not_in";
    if (info.type === "number" && !list) {
      return field({ label: "Value", name, type: "number", step: "any", value: valueText(node.value), required: true, oninput: (ev) => set(ev.target.value) });
    }
    return field({
      label: list ? "Values (comma-separated)" : "Value", name, value: valueText(node.value), required: true,
      oninput: (ev) => set(ev.target.value),
    });
  }

  // --- actions
  const actionsBox = h("ol", { class: "action-list" });
  const addAction = h("button", {
    type: "button",
    onclick: () => { state.actions.push({ type: "add_tag", tag: "" }); renderActions(); const s = actionsBox.querySelectorAll("select[name$='.type']"); if (s.length) s[s.length - 1].focus(); },
  }, "Add action");
  function renderActions() {
    mount(actionsBox, state.actions.map((a, i) => h("li", { class: "action-item panel" }, actionEditor(a, i))));
    addAction.disabled = readOnly || state.actions.length >= MAX_ACTIONS;
    if (readOnly) for (const el of actionsBox.querySelectorAll("input, select, textarea, button")) el.disabled = true;
  }

  function actionEditor(a, i) {
    const p = `actions[${i}]`;
    const typeSel = field({
      label: `Action ${i + 1}`, name: `${p}.type`, type: "select", value: a.type, options: ACTIONS,
      onchange: (ev) => { state.actions[i] = { type: ev.target.value }; renderActions(); actionsBox.querySelector(`[name="${p}.type"]`).focus(); },
    });
    const bind = (key) => (ev) => { a[key] = ev.target.value; };
    let inputs = [];
    switch (a.type) {
      case "send_message": {
        const mode = a.templateId ? "template" : "text";
        const modeSel = field({
          label: "Send", name: `${p}.mode`, type: "select", value: mode,
          options: [["text", "a message I write"], ["template", "a saved template"]],
          onchange: (ev) => { if (ev.target.value === "template") { a.text = ""; a.templateId = templates[0] ? templates[0].id : ""; } else { a.templateId = ""; } renderActions(); },
        });
        modeSel.input.removeAttribute("name");  // not an API field
        if (mode === "template") {
          const opts = templates.map((t) => [t.id, `${t.name} (${t.category || "template"})`]);
          if (a.templateId && !templates.find((t) => t.id === a.templateId)) opts.unshift([a.templateId, a.templateId]);
          if (!a.templateId && opts.length) a.templateId = opts[0][0];
          inputs = [modeSel, opts.length
            ? field({ label: "Template", name: `${p}.templateId`, type: "select", value: a.templateId, options: opts, onchange: bind("templateId") })
            : h("p", { class: "muted" }, "No saved templates yet; create one with the campaigns' templates.")];
        } else {
          inputs = [modeSel, field({
            label: "Message", name: `${p}.text`, type: "textarea", rows: 3, maxlength: 4096, value: a.text || "", required: true,
            help: "Up to 4,096 characters. Template variables work: {{contact.firstName}}. Sent only within the 24-hour window.",
            oninput: bind("text"),
          })];
        }
        break;
      }
      case "add_tag":
      case "remove_tag":
        inputs = [field({ label: "Tag", name: `${p}.tag`, value: a.tag || "", required: true, maxlength: 64, help: "1 to 64 characters, stored lower-case.", oninput: bind("tag") })];
        break;
      case "set_journey_stage":
        if (!a.journeyStage) a.journeyStage = JOURNEY_STAGES[0];
        inputs = [field({ label: "Journey stage", name: `${p}.journeyStage`, type: "select", value: a.journeyStage, options: JOURNEY_STAGES.map((s) => [s, s]), onchange: bind("journeyStage") })];
        break;
      case "assign_agent": {
        const opts = [["", "Nobody (unassign)"], ...members.filter((m) => m.role !== "viewer").map((m) => [m.id, `${m.name} (${m.role})`])];
        if (a.agentId && !opts.find((o) => o[0] === a.agentId)) opts.push([a.agentId, a.agentId]);
        inputs = [field({ label: "Agent", name: `${p}.agentId`, type: "select", value: a.agentId || "", options: opts, onchange: bind("agentId") })];
        break;
      }
      case "handoff":
        inputs = [field({ label: "Reason", name: `${p}.reason`, value: a.reason || "", maxlength: 200, placeholder: "automation", help: "Up to 200 characters; shown to the agents.", oninput: bind("reason") })];
        break;
      case "set_status":
        if (!a.status) a.status = "qualified";
        inputs = [field({ label: "Status", name: `${p}.status`, type: "select", value: a.status, options: ["active", "qualified", "closed", "archived"].map((s) => [s, s]), onchange: bind("status") })];
        break;
      case "webhook":
        if (webhooks) {
          const opts = webhooks.map((w) => [w.id, w.description ? `${w.description} (${w.url})` : w.url]);
          if (a.webhookId && !opts.find((o) => o[0] === a.webhookId)) opts.unshift([a.webhookId, a.webhookId]);
          if (!a.webhookId && opts.length) a.webhookId = opts[0][0];
          inputs = [opts.length
            ? field({ label: "Webhook", name: `${p}.webhookId`, type: "select", value: a.webhookId, options: opts, onchange: bind("webhookId"), help: "It receives the event as automation.webhook, whatever its events." })
            : h("p", { class: "muted" }, "No outgoing webhooks yet. ", h("a", { href: "#/webhooks" }, "Create one"), " first.")];
        } else {
          inputs = [field({ label: "Webhook id", name: `${p}.webhookId`, value: a.webhookId || "", oninput: bind("webhookId") })];
        }
        break;
      default:
        inputs = [h("p", { class: "muted" }, `Unknown action type ${a.type}.`)];
    }
    const warn = NEEDS_CONVERSATION.has(a.type) && (state.event === "contact.created" || state.event === "schedule.daily")
      ? h("p", { class: "help action-warning" }, "This event has no conversation: this action will fail (\"no conversation\").")
      : null;
    const move = (d) => {
      const j = i + d;
      [state.actions[i], state.actions[j]] = [state.actions[j], state.actions[i]];
      renderActions();
      const b = actionsBox.querySelectorAll(".action-item")[j];
      if (b) b.querySelector("select").focus();
    };
    return [
      h("div", { class: "action-head" }, typeSel,
        h("div", { class: "action-tools" },
          h("button", { type: "button", disabled: i === 0, "aria-label": `Move action ${i + 1} up`, title: "Move up", onclick: () => move(-1) }, "↑"),
          h("button", { type: "button", disabled: i === state.actions.length - 1, "aria-label": `Move action ${i + 1} down`, title: "Move down", onclick: () => move(1) }, "↓"),
          h("button", { type: "button", disabled: state.actions.length === 1, "aria-label": `Remove action ${i + 1}`, title: "Remove", onclick: () => { state.actions.splice(i, 1); renderActions(); } }, "Remove"))),
      h("div", { class: "action-inputs" }, inputs),
      warn,
    ];
  }

  // --- the form
  const nameField = field({ label: "Name", name: "name", value: automation.name, required: true, maxlength: 200 });
  const priorityField = field({ label: "Priority", name: "priority", type: "number", min: -1000, max: 1000, step: 1, value: automation.priority || 0, help: "Higher runs first (−1000 to 1000)." });
  const activeField = field({ label: "Enabled", name: "isActive", type: "checkbox", value: automation.isActive, help: "A paused automation runs on nothing." });
  const save = h("button", { type: "submit", class: "primary" }, id ? "Save automation" : "Create automation");
  const form = h("form", { class: "automation-form", novalidate: true },
    h("section", { class: "panel" }, h("h2", null, "Trigger"),
      h("div", { class: "grid" }, nameField, eventField),
      scheduleBox,
      h("div", { class: "grid" }, priorityField, activeField)),
    h("section", { class: "panel" }, h("h2", null, "Conditions"),
      h("p", { class: "muted" }, "Only events whose contact, conversation and message match run the actions."),
      rulesBox),
    h("section", { class: "panel" }, h("h2", null, "Actions"),
      h("p", { class: "muted" }, "Run in order; the first that fails ends the run."),
      actionsBox, h("div", { class: "row" }, addAction)),
    canWrite ? h("div", { class: "form-actions" }, h("a", { class: "button", href: "#/automations" }, "Cancel"), save) : null);
  if (readOnly) {
    for (const el of form.querySelectorAll("input, select, textarea")) el.disabled = true;
  }

  onSubmit(form, async (values) => {
    const body = {
      name: values.name,
      event: state.event,
      isActive: Boolean(values.isActive),
      priority: values.priority === null ? 0 : values.priority,
      actions: state.actions.map(cleanAction),
    };
    if (state.rules.conditions.length) body.conditions = state.rules;
    if (state.event === "schedule.daily") body.schedule = { time: values["schedule.time"], timezone: values["schedule.timezone"] };
    try {
      if (id) {
        const updated = await api.patch(`/api/v1/automations/${id}`, {
          automation: body,
          updateMask: ["name", "event", "conditions", "actions", "isActive", "priority", "schedule"],
        });
        toast("Automation saved", "ok");
        automation = updated;
        headerState();
        showSummary(updated);
      } else {
        const created = await api.post("/api/v1/automations", body);
        toast("Automation created", "ok");
        ctx.navigate(`/automations/${created.id}`);
      }
    } catch (err) {
      showErrors(form, err);
      const first = form.querySelector("[aria-invalid=true]") || form.querySelector(".form-error");
      if (first) first.scrollIntoView({ block: "center" });
    }
  });

  // --- header: state, enable/disable, delete
  const stateSlot = h("span", { class: "automation-state" });
  const toggleBtn = h("button", { type: "button", onclick: toggleActive });
  const deleteBtn = h("button", { type: "button", class: "danger", onclick: remove }, "Delete");
  function headerState() {
    mount(stateSlot, id ? activeBadge(automation) : null);
    toggleBtn.textContent = automation.isActive ? "Pause" : "Enable";
    activeField.input.checked = Boolean(automation.isActive);
    document.title = `${automation.name || "New automation"} · SalesOS`;
  }
  async function toggleActive() {
    toggleBtn.disabled = true;
    try {
      automation = await api.patch(`/api/v1/automations/${id}`, { automation: { isActive: !automation.isActive }, updateMask: ["isActive"] });
      toast(automation.isActive ? "Automation enabled" : "Automation paused", "ok");
      headerState();
    } catch (err) {
      toast(err.message, "error");
    } finally {
      toggleBtn.disabled = false;
    }
  }
  async function remove() {
    const ok = await confirmDialog(`Delete "${automation.name}"? It stops at once and its executions go with it.`, { title: "Delete automation", confirm: "Delete", danger: true });
    if (!ok) return;
    try {
      await api.del(`/api/v1/automations/${id}`);
      toast("Automation deleted", "ok");
      ctx.navigate("/automations");
    } catch (err) {
      toast(err.message, "error");
    }
  }

  const summary = id ? h("p", { class: "muted automation-summary" }) : null;
  function showSummary(a) {
    if (summary) summary.textContent = `${formatNumber(a.executionCount)} runs · last run ${a.lastExecutedAt ? formatTime(a.lastExecutedAt) : "never"} · created ${formatTime(a.createdAt)}`;
  }
  showSummary(automation);

  // --- executions
  let executions = null;
  let executionsPanel = null;
  let offLive = [];
  if (id) {
    const statusFilter = field({
      label: "Status", name: "executionStatus", type: "select", value: "",
      options: [["", "Every status"], ["succeeded", "succeeded"], ["failed", "failed"], ["skipped", "skipped"], ["running", "running"]],
      onchange: () => executions.first(),
    });
    statusFilter.input.removeAttribute("name");
    executions = pager({
      label: "Execution pages",
      load: async (token) => {
        const res = await api.get(`/api/v1/automations/${id}/executions`, { status: statusFilter.input.value, pageSize: 25, pageToken: token });
        if (!token) api.get(`/api/v1/automations/${id}`).then(showSummary).catch(() => {});
        return { rows: res.executions || [], next: res.nextPageToken };
      },
      render: (rows) => table({
      rows,
        caption: "Executions",
        empty: "No executions yet. A run is recorded each time the event happens and the conditions match.",
        columns: [
          { label: "Started", value: (x) => h("time", { datetime: x.startedAt, title: formatTime(x.startedAt) }, relativeTime(x.startedAt)) },
          { label: "Status", value: (x) => executionBadge(x.status) },
          { label: "Event", value: (x) => x.event },
          { label: "Contact", value: (x) => x.contactId ? h("code", { title: x.contactId }, x.contactId.slice(-8)) : "—" },
          { label: "Conversation", value: (x) => x.conversationId ? h("a", { href: `#/inbox/${x.conversationId}`, title: x.conversationId }, x.conversationId.slice(-8)) : "—" },
          { label: "Result", class: "exec-result", value: (x) => h("div", null, x.result ? h("pre", { class: "exec-lines" }, x.result) : null, x.error ? h("p", { class: "error" }, x.error) : null) },
          { label: "Time", class: "num", value: (x) => `${formatNumber(x.executionTimeMs)} ms` },
          { label: "Depth", class: "num", value: (x) => String(x.depth || 0) },
        ],
      }),
    });
    const refresh = debounce(() => executions.reload(), 1500);
    offLive = [live.on("message.created", refresh), live.on("conversation.updated", refresh), live.on("resync", refresh)];
    executionsPanel = h("section", { class: "panel automation-executions", "aria-labelledby": "exec-title" },
      h("div", { class: "row" }, h("h2", { id: "exec-title" }, "Executions"), h("span", { class: "spacer" }), statusFilter,
        h("button", { type: "button", onclick: () => executions.reload() }, "Refresh")),
      executions);
  }

  mount(root,
    h("p", { class: "crumbs" }, h("a", { href: "#/automations" }, "← Automations")),
    pageHeader(title, stateSlot, id && canWrite ? toggleBtn : null, id && canWrite ? deleteBtn : null),
    summary,
    readOnly ? h("p", { class: "muted" }, "You can read this automation; admins and owners change it.") : null,
    form,
    executionsPanel);
  headerState();
  if (!id) document.title = "New automation · SalesOS";
  syncEvent();
  renderRules();
  renderActions();
  return () => offLive.forEach((off) => off());
}

// Only the fields of the action's type (the API ignores the others, but empty ones are noise).
function cleanAction(a) {
  const keep = {
    send_message: a.templateId ? ["templateId"] : ["text"],
    add_tag: ["tag"], remove_tag: ["tag"], set_journey_stage: ["journeyStage"], assign_agent: ["agentId"],
    handoff: ["reason"], set_status: ["status"], webhook: ["webhookId"],
  }[a.type] || [];
  const out = { type: a.type };
  for (const k of keep) out[k] = a[k] ?? "";
  return out;
}

function timezoneField(value) {
  return field({ label: "Time zone", name: "schedule.timezone", type: "select", value, options: timeZoneOptions(value) });
}
