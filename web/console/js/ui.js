// The console's building blocks. Pages build their DOM with h() (never innerHTML: customers'
// messages, names and files are untrusted), labelled fields with field(), and show API errors
// next to the field they name with showErrors().

// h("button", {class: "primary", onclick: fn, "aria-label": "Close"}, "Save", child, [more])
// Props: class, dataset {..}, style {..} (CSSOM, allowed by the CSP; never a style attribute),
// on<event> functions, boolean attributes (true/false), anything else as an attribute.
export function h(tag, props, ...children) {
  const el = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.setAttribute("class", Array.isArray(v) ? v.filter(Boolean).join(" ") : v);
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k === "style") Object.assign(el.style, v);
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "value" && "value" in el && !tag.startsWith("svg:")) el.value = v;
      else if (k === "checked" || k === "selected") el[k] = Boolean(v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Replaces el's children.
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
export function nextId(prefix = "f") {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A labelled form field whose errors showErrors() can find by `name` (the API's field path, e.g.
// "email" or "chatFlow.greeting").
//   field({label, name, type = "text", value, required, placeholder, help, options: [[value, text]],
//          rows (textarea), min, max, step, autocomplete, accept, multiple})
// type: text, email, password, number, url, date, datetime-local, textarea, select, checkbox, file.
export function field(opts) {
  const id = nextId(opts.name || "f");
  const attrs = {
    id,
    name: opts.name,
    required: opts.required,
    placeholder: opts.placeholder,
    autocomplete: opts.autocomplete,
    min: opts.min,
    max: opts.max,
    step: opts.step,
    accept: opts.accept,
    multiple: opts.multiple,
    disabled: opts.disabled,
    readonly: opts.readonly,
    maxlength: opts.maxlength,
    "aria-describedby": `${id}-help ${id}-error`,
  };
  let input;
  const type = opts.type || "text";
  if (type === "textarea") {
    input = h("textarea", { ...attrs, rows: opts.rows || 3 });
    input.value = opts.value ?? "";
  } else if (type === "select") {
    input = h("select", attrs,
      (opts.options || []).map(([v, t]) => h("option", { value: v, selected: String(opts.value ?? "") === String(v) }, t)));
  } else if (type === "checkbox") {
    input = h("input", { ...attrs, type: "checkbox", checked: Boolean(opts.value) });
  } else {
    input = h("input", { ...attrs, type, value: opts.value ?? "" });
  }
  if (opts.oninput) input.addEventListener("input", opts.oninput);
  if (opts.onchange) input.addEventListener("change", opts.onchange);
  const wrap = h("div", { class: ["field", type === "checkbox" && "field-check", opts.class], dataset: { field: opts.name || "" } },
    type === "checkbox" ? null : h("label", { for: id }, opts.label, opts.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
    input,
    type === "checkbox" ? h("label", { for: id }, opts.label) : null,
    h("small", { id: `${id}-help`, class: "help" }, opts.help || ""),
    h("small", { id: `${id}-error`, class: "error", role: "alert" }));
  wrap.input = input;
  return wrap;
}

// The values of a form's named fields: numbers for type=number, booleans for checkboxes, Files
// for file inputs; names with dots stay flat ("a.b": value), see nest().
export function formValues(form) {
  const out = {};
  for (const el of form.querySelectorAll("[name]")) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "number") out[el.name] = el.value === "" ? null : Number(el.value);
    else if (el.type === "file") out[el.name] = el.multiple ? [...el.files] : el.files[0] || null;
    else if (el.tagName === "SELECT" && el.multiple) out[el.name] = [...el.selectedOptions].map((o) => o.value);
    else out[el.name] = el.value;
  }
  return out;
}

// {"a.b": 1, "c": 2} → {a: {b: 1}, c: 2}
export function nest(flat) {
  const out = {};
  for (const [k, v] of Object.entries(flat)) {
    const parts = k.split(".");
    let at = out;
    parts.slice(0, -1).forEach((p) => {
      at[p] = at[p] && typeof at[p] === "object" ? at[p] : {};
      at = at[p];
    });
    at[parts[parts.length - 1]] = v;
  }
  return out;
}

export function clearErrors(root) {
  for (const el of root.querySelectorAll(".field .error")) el.textContent = "";
  for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const banner = root.querySelector(":scope > .form-error");
  if (banner) banner.remove();
}

// Puts an ApiError's messages next to the fields they name (details[].field: exact name, or the
// nearest field whose name is a prefix or suffix of it); what names no field goes in a banner at the
// top of `root`. Focuses the first field with an error.
export function showErrors(root, err) {
  clearErrors(root);
  const fields = [...root.querySelectorAll(".field[data-field]")].filter((f) => f.dataset.field);
  const unplaced = [];
  let first = null;
  const details = err && err.details && err.details.length ? err.details : [];
  for (const d of details) {
    const name = d.field || "";
    const target = fields.find((f) => f.dataset.field === name) ||
      fields.find((f) => name && (name.startsWith(`${f.dataset.field}.`) || name.startsWith(`${f.dataset.field}[`))) ||
      fields.find((f) => name && name.endsWith(`.${f.dataset.field}`));
    if (target) {
      const slot = target.querySelector(".error");
      slot.textContent = slot.textContent ? `${slot.textContent}; ${d.description}` : d.description;
      const input = target.querySelector("input, select, textarea");
      if (input) input.setAttribute("aria-invalid", "true");
      first = first || input;
    } else {
      unplaced.push(name ? `${name}: ${d.description}` : d.description);
    }
  }
  if (!details.length || unplaced.length) {
    const text = details.length ? unplaced.join("; ") : (err && err.message) || String(err);
    root.prepend(h("div", { class: "form-error", role: "alert" }, text,
      err && err.requestId ? h("small", null, ` (request ${err.requestId})`) : null));
  }
  if (first) first.focus();
}

// Wires a form: on submit, clears errors, disables the submit button, awaits fn(values), and shows
// the ApiError it throws next to the fields. Returns the form.
export function onSubmit(form, fn) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const buttons = [...form.querySelectorAll("button[type=submit]")];
    buttons.forEach((b) => { b.disabled = true; });
    form.setAttribute("aria-busy", "true");
    try {
      await fn(formValues(form), ev.submitter);
    } catch (err) {
      if (form.isConnected) showErrors(form, err);
      else toast(err.message || String(err), "error");
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      form.removeAttribute("aria-busy");
    }
  });
  return form;
}

export function toast(text, kind = "info", ms = 4000) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const t = h("div", { class: ["toast", `toast-${kind}`] }, text);
  box.append(t);
  while (box.children.length > 3) box.firstElementChild.remove();  // the newest three
  setTimeout(() => t.remove(), ms);
}

// A modal dialog on <dialog> (focus trapped, Esc closes). Returns {dialog, close, done}; `done`
// resolves with the value given to close() (undefined when dismissed).
export function modal({ title, body, actions = [], wide = false }) {
  let resolve;
  const done = new Promise((r) => { resolve = r; });
  const titleId = nextId("dlg");
  const dialog = h("dialog", { class: ["modal", wide && "modal-wide"], "aria-labelledby": titleId },
    h("header", null, h("h2", { id: titleId }, title),
      h("button", { class: "icon", type: "button", "aria-label": "Close", onclick: () => close() }, "×")),
    h("div", { class: "modal-body" }, body),
    actions.length ? h("footer", null, actions) : null);
  let value;
  function close(v) {
    value = v;
    if (dialog.open) dialog.close();
  }
  dialog.addEventListener("close", () => {
    dialog.remove();
    resolve(value);
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close, done };
}

// Resolves true when the user confirms.
export async function confirmDialog(text, { title = "Are you sure?", confirm = "Confirm", danger = false } = {}) {
  let m;
  const ok = h("button", { type: "button", class: danger ? "danger" : "primary", onclick: () => m.close(true) }, confirm);
  m = modal({
    title,
    body: h("p", null, text),
    actions: [h("button", { type: "button", onclick: () => m.close(false) }, "Cancel"), ok],
  });
  ok.focus();
  return (await m.done) === true;
}

// A table: columns [{label, value: row => text|Node, class}], rows; `empty` when there are none.
// onRow(row) makes rows clickable (and keyboard-activatable).
export function table({ columns, rows, empty = "Nothing here yet.", onRow, caption }) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-wrap" },
    h("table", null,
      caption ? h("caption", { class: "sr-only" }, caption) : null,
      h("thead", null, h("tr", null, columns.map((c) => h("th", { scope: "col", class: c.class }, c.label)))),
      h("tbody", null, rows.map((r) => {
        const tr = h("tr", onRow ? {
          class: "clickable", tabindex: "0",
          onclick: () => onRow(r),
          onkeydown: (ev) => { if (ev.key === "Enter") onRow(r); },
        } : null, columns.map((c) => h("td", { class: c.class, "data-label": c.label }, c.value(r))));
        return tr;
      }))));
}

// The page's title row: h1 and the page's actions.
export function pageHeader(title, ...actions) {
  document.title = `${title} · SalesOS`;
  return h("header", { class: "page-header" }, h("h1", null, title), h("div", { class: "actions" }, actions));
}

export function badge(text, kind = "") {
  return h("span", { class: ["badge", kind && `badge-${kind}`] }, text);
}

export function spinner(label = "Loading…") {
  return h("p", { class: "loading", role: "status" }, label);
}

// A loading placeholder replaced by render()'s result, or by the error.
export async function loadInto(el, render) {
  mount(el, spinner());
  try {
    mount(el, await render());
  } catch (err) {
    mount(el, errorBox(err));
  }
}

export function errorBox(err) {
  return h("div", { class: "form-error", role: "alert" }, (err && err.message) || String(err),
    err && err.requestId ? h("small", null, ` (request ${err.requestId})`) : null);
}

const numberFormat = new Intl.NumberFormat();
export function formatNumber(n) {
  return numberFormat.format(Number(n || 0));
}

export function formatPercent(ratio, digits = 1) {
  return `${(Number(ratio || 0) * 100).toFixed(digits)}%`;
}

// Money in minor units (cents) with its ISO currency.
export function formatMoney(minor, currency = "USD") {
  const digits = ["JPY", "KRW", "VND", "CLP", "ISK", "UGX"].includes(currency) ? 0 : 2;
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(Number(minor || 0) / 10 ** digits);
  } catch {
    return `${(Number(minor || 0) / 100).toFixed(2)} ${currency}`;
  }
}

export function formatTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function relativeTime(iso) {
  if (!iso) return "";
  const d = new Date(iso).getTime();
  if (Number.isNaN(d)) return iso;
  const s = Math.round((Date.now() - d) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

// Calls fn at most once every `ms`, the last call winning (live refreshes, search boxes).
export function debounce(fn, ms = 250) {
  let t = 0;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// Tabs: [{id, label, render: () => Node|Promise<Node>}]; keyboard: arrows move between tabs.
export function tabs(items, selected = items[0] && items[0].id) {
  const panel = h("div", { class: "tab-panel", role: "tabpanel", tabindex: "0" });
  const buttons = items.map((t) => h("button", {
    type: "button", role: "tab", id: `tab-${t.id}`, "aria-selected": String(t.id === selected),
    tabindex: t.id === selected ? "0" : "-1",
    onclick: () => pick(t.id),
    onkeydown: (ev) => {
      const i = items.findIndex((x) => x.id === t.id);
      if (ev.key === "ArrowRight") { pick(items[(i + 1) % items.length].id, true); }
      if (ev.key === "ArrowLeft") { pick(items[(i - 1 + items.length) % items.length].id, true); }
    },
  }, t.label));
  function pick(id, focus = false) {
    buttons.forEach((b, i) => {
      const on = items[i].id === id;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      if (on && focus) b.focus();
    });
    panel.setAttribute("aria-labelledby", `tab-${id}`);
    loadInto(panel, async () => items.find((x) => x.id === id).render());
  }
  const el = h("div", { class: "tabs" }, h("div", { role: "tablist", class: "tablist" }, buttons), panel);
  if (selected) pick(selected);
  return el;
}

// A paged list over page tokens with Previous / Next: load(token) resolves {rows, next} (the
// API's nextPageToken), render(rows) returns the Node to show. The element has reload() (the
// current page again) and first() (back to page one).
export function pager({ load, render, label = "Pages" }) {
  const body = h("div", { class: "pager-body stack-on-phone" });
  const prev = h("button", { type: "button", onclick: () => go(stack.length - 2) }, "Previous");
  const next = h("button", { type: "button", onclick: () => go(stack.length) }, "Next");
  const where = h("span", { class: "muted" });
  const nav = h("nav", { class: "pager", "aria-label": label }, prev, where, next);
  const stack = [""];  // stack[i]: the token of page i
  let nextToken = "";
  async function go(i) {
    if (i < 0) return;
    const token = i < stack.length ? stack[i] : nextToken;
    await loadInto(body, async () => {
      const page = await load(token);
      stack.length = i;
      stack.push(token);
      nextToken = page.next || "";
      prev.disabled = i === 0;
      next.disabled = !nextToken;
      where.textContent = `Page ${i + 1}`;
      nav.hidden = i === 0 && !nextToken;
      return render(page.rows);
    });
  }
  prev.disabled = true;
  next.disabled = true;
  nav.hidden = true;
  const el = h("div", { class: "paged" }, body, nav);
  el.reload = () => go(stack.length - 1);
  el.first = () => { stack.length = 1; return go(0); };
  el.first();
  return el;
}

// A button that copies `text` to the clipboard (`label` names it for screen readers).
export function copyButton(text, label) {
  return h("button", {
    type: "button", "aria-label": label,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        toast("Copied", "ok", 1500);
      } catch {
        toast("Copy failed: select the text and copy it", "error");
      }
    },
  }, "Copy");
}

// Every IANA time zone the browser knows, as select options, UTC and `current` included.
export function timeZoneOptions(current) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = [];
  }
  if (!zones.includes("UTC")) zones.unshift("UTC");
  if (current && !zones.includes(current)) zones.unshift(current);
  return zones.map((z) => [z, z]);
}
