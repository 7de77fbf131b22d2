// Contacts (#/contacts): the CRM's customer records (docs/crm.md): search, tag and segment filters,
// paging, add/edit, delete (admin), CSV import with a check in the browser first and the job's
// progress, export.

import { api, listAll } from "../api.js";
import {
  h, mount, field, onSubmit, toast, modal, confirmDialog, table, pageHeader, badge, spinner, errorBox,
  formatNumber, relativeTime, debounce,
} from "../ui.js";
import { hasRole } from "../app.js";
import { live } from "../live.js";

const PAGE_SIZE = 50;
const STAGES = ["awareness", "interest", "consideration", "purchase", "retention"];
const STATUS_KIND = { active: "info", qualified: "warn", converted: "ok", closed: "", archived: "" };

function contactName(c) {
  return c.fullName || [c.firstName, c.lastName].filter(Boolean).join(" ") || c.email || c.phone || "(no name)";
}

function splitTags(text) {
  return [...new Set(String(text || "").split(/[,;]/).map((t) => t.trim().toLowerCase()).filter(Boolean))];
}

export async function list(root, ctx) {
  const canWrite = hasRole("agent");
  const isAdmin = hasRole("admin");
  let fields = [];
  let segments = [];
  let accounts = [];

  const qField = field({ label: "Search", name: "q", type: "search", value: ctx.query.q || "", placeholder: "Name, email or phone" });
  const tagField = field({ label: "Tag", name: "tag", value: ctx.query.tag || "", placeholder: "vip" });
  const segField = field({ label: "Segment", name: "segmentId", type: "select", value: ctx.query.segmentId || "", options: [["", "All contacts"]] });
  const body = h("div", { class: "contacts-body stack-on-phone" }, spinner());
  const pager = h("div", { class: "row list-pager" });
  const filters = h("form", { class: "list-filters contacts-filters", role: "search", onsubmit: (ev) => { ev.preventDefault(); restart(); } },
    qField, tagField, segField);

  const actions = [];
  if (canWrite) actions.push(h("button", { type: "button", class: "primary", onclick: () => openEditor(null) }, "Add contact"));
  if (isAdmin) {
    actions.push(h("button", { type: "button", onclick: openImport }, "Import CSV"));
    actions.push(h("button", { type: "button", onclick: () => exportContacts("csv") }, "Export CSV"));
    actions.push(h("button", { type: "button", onclick: () => exportContacts("json") }, "Export JSON"));
  }
  mount(root, pageHeader("Contacts", ...actions), filters, body, pager);

  // Side data for the filters and the editor; each may fail on its own without breaking the page.
  const side = await Promise.allSettled([
    api.get("/api/v1/contact-fields"),
    listAll("/api/v1/segments", "segments", {}, 500),
    listAll("/api/v1/accounts", "accounts", {}, 500),
  ]);
  if (side[0].status === "fulfilled") fields = side[0].value.fields || [];
  if (side[1].status === "fulfilled") segments = side[1].value;
  if (side[2].status === "fulfilled") accounts = side[2].value;
  mount(segField.input, [["", "All contacts"], ...segments.map((s) => [s.id, s.name])].map(([v, t]) =>
    h("option", { value: v, selected: v === (ctx.query.segmentId || "") }, t)));

  const tokens = [""];
  let at = 0;
  let seq = 0;
  let rows = [];

  function query() {
    return {
      q: qField.input.value.trim(), tag: tagField.input.value.trim().toLowerCase(), segmentId: segField.input.value,
    };
  }

  async function load() {
    const mine = ++seq;
    body.setAttribute("aria-busy", "true");
    if (!rows.length) mount(body, spinner());
    try {
      const res = await api.get("/api/v1/contacts", { ...query(), pageSize: PAGE_SIZE, pageToken: tokens[at] });
      if (mine !== seq) return;
      rows = res.contacts || [];
      const next = res.nextPageToken || "";
      const q = query();
      const filtered = q.q || q.tag || q.segmentId;
      mount(body, table({
        caption: "Contacts",
        columns: [
          { label: "Name", value: (c) => h("span", { class: "contact-name" }, contactName(c)) },
          { label: "Email", value: (c) => c.email || "" },
          { label: "Phone", value: (c) => c.phone || "" },
          { label: "Tags", value: (c) => h("span", { class: "tag-list" }, (c.tags || []).map((t) => badge(t, "info"))) },
          { label: "Source", value: (c) => c.source || "" },
          { label: "Status", value: (c) => (c.status ? badge(c.status, STATUS_KIND[c.status] || "") : h("span", { class: "muted" }, "—")) },
          { label: "Lead score", class: "num", value: (c) => String(c.leadScore || 0) },
          { label: "Added", value: (c) => relativeTime(c.createdAt) },
        ],
        rows,
        onRow: (c) => openEditor(c),
        empty: filtered ? "No contact matches these filters." : "No contacts yet. Add one, import a CSV, or wait for customers to write.",
      }));
      mount(pager,
        h("button", { type: "button", disabled: at === 0, onclick: () => { at -= 1; load(); } }, "Previous"),
        h("span", { class: "muted" }, `Page ${at + 1}`),
        h("button", { type: "button", disabled: !next, onclick: () => { at += 1; tokens[at] = next; load(); } }, "Next"));
    } catch (err) {
      if (mine === seq) mount(body, errorBox(err));
    } finally {
      if (mine === seq) body.removeAttribute("aria-busy");
    }
  }

  function restart() {
    tokens.length = 1;
    at = 0;
    rows = [];
    load();
  }
  const typed = debounce(restart, 300);
  qField.input.addEventListener("input", typed);
  tagField.input.addEventListener("input", typed);
  segField.input.addEventListener("change", restart);

  async function exportContacts(format) {
    try {
      const name = await api.download("GET", "/api/v1/contacts/export", { format, segmentId: segField.input.value });
      toast(`Downloaded ${name}.`, "ok");
    } catch (err) {
      toast(err.message, "error");
    }
  }

  // ---- Add / edit ------------------------------------------------------------------------------
  function openEditor(contact) {
    const editable = canWrite;
    const c = contact || {};
    const ro = !editable;
    const customInputs = fields.map((f) => {
      const name = `customFields.${f.key}`;
      const cur = c.customFields ? c.customFields[f.key] : undefined;
      if (f.type === "boolean") {
        return field({ label: f.label || f.key, name, type: "select", value: cur === undefined || cur === null ? "" : String(cur),
          options: [["", "—"], ["true", "yes"], ["false", "no"]], disabled: ro });
      }
      if (f.type === "enum") {
        return field({ label: f.label || f.key, name, type: "select", value: cur ?? "", options: [["", "—"], ...(f.options || []).map((o) => [o, o])], disabled: ro });
      }
      return field({ label: f.label || f.key, name, type: f.type === "number" ? "number" : f.type === "date" ? "date" : "text",
        step: f.type === "number" ? "any" : undefined, value: cur ?? "", disabled: ro });
    });
    const form = h("form", { class: "contact-form", novalidate: true },
      h("div", { class: "grid form-grid-2" },
        field({ label: "First name", name: "firstName", value: c.firstName, disabled: ro, maxlength: 200 }),
        field({ label: "Last name", name: "lastName", value: c.lastName, disabled: ro, maxlength: 200 }),
        field({ label: "Email", name: "email", type: "email", value: c.email, disabled: ro, autocomplete: "off" }),
        field({ label: "Phone", name: "phone", type: "tel", value: c.phone, disabled: ro, help: "With the country code: +33 6 12 34 56 78" }),
        field({ label: "Job title", name: "title", value: c.title, disabled: ro }),
        field({ label: "City", name: "city", value: c.city, disabled: ro }),
        field({ label: "Country", name: "country", value: c.country, disabled: ro, maxlength: 2, help: "Two letters (FR)" }),
        field({ label: "Language", name: "language", value: c.language, disabled: ro, maxlength: 2, help: "Two letters (fr)" }),
        field({ label: "Journey stage", name: "journeyStage", type: "select", value: c.journeyStage || "awareness", options: STAGES.map((s) => [s, s]), disabled: ro }),
        accounts.length ? field({ label: "Account", name: "accountId", type: "select", value: c.accountId || "", options: [["", "—"], ...accounts.map((a) => [a.id, a.name])], disabled: ro }) : null),
      field({ label: "Tags", name: "tags", value: (c.tags || []).join(", "), disabled: ro, help: "Separate tags with commas" }),
      field({ label: "Opted out of broadcasts", name: "optedOut", type: "checkbox", value: c.optedOut, disabled: ro }),
      customInputs.length ? h("fieldset", null, h("legend", null, "Custom fields"), h("div", { class: "grid form-grid-2" }, customInputs)) : null,
      contact ? h("dl", { class: "contact-facts" },
        h("dt", null, "Source"), h("dd", null, c.source || "—"),
        h("dt", null, "Platforms"), h("dd", null, Object.entries(c.platformIds || {}).filter(([, v]) => v).map(([k]) => k).join(", ") || "—"),
        h("dt", null, "Lead score"), h("dd", null, String(c.leadScore || 0)),
        h("dt", null, "Orders"), h("dd", null, `${formatNumber((c.stats || {}).ordersCount || 0)} (spent ${(c.stats || {}).totalSpent || 0})`),
        h("dt", null, "Last message"), h("dd", null, relativeTime((c.stats || {}).lastMessageAt) || "—"),
        h("dt", null, "Added"), h("dd", null, relativeTime(c.createdAt))) : null,
      h("div", { class: "form-actions" },
        contact && isAdmin ? h("button", { type: "button", class: "danger", onclick: () => remove(contact, m) }, "Delete contact") : null,
        h("span", { class: "spacer" }),
        h("button", { type: "button", onclick: () => m.close() }, editable ? "Cancel" : "Close"),
        editable ? h("button", { type: "submit", class: "primary" }, contact ? "Save contact" : "Add contact") : null));

    const m = modal({ title: contact ? contactName(contact) : "Add contact", body: form, wide: true });

    onSubmit(form, async (v) => {
      const next = {
        firstName: v.firstName.trim(), lastName: v.lastName.trim(), email: v.email.trim(), phone: v.phone.trim(),
        title: v.title.trim(), city: v.city.trim(), country: v.country.trim(), language: v.language.trim(),
        journeyStage: v.journeyStage, tags: splitTags(v.tags), optedOut: Boolean(v.optedOut),
      };
      if ("accountId" in v) next.accountId = v.accountId;
      const custom = {};
      for (const f of fields) {
        const raw = v[`customFields.${f.key}`];
        let val = raw;
        if (raw === "" || raw === null || raw === undefined) val = null;
        else if (f.type === "boolean") val = raw === "true";
        custom[f.key] = val;
      }
      if (!contact) {
        const bodyC = Object.fromEntries(Object.entries(next).filter(([, x]) => x !== "" && !(Array.isArray(x) && !x.length)));
        const cf = Object.fromEntries(Object.entries(custom).filter(([, x]) => x !== null));
        if (Object.keys(cf).length) bodyC.customFields = cf;
        await api.post("/api/v1/contacts", bodyC);
        toast("Contact added.", "ok");
      } else {
        const mask = [];
        const patch = {};
        for (const [k, val] of Object.entries(next)) {
          const old = k === "tags" ? (c.tags || []) : k === "optedOut" ? Boolean(c.optedOut) : (c[k] ?? "");
          const differs = Array.isArray(val) ? JSON.stringify(val) !== JSON.stringify(old) : val !== old;
          if (differs) { mask.push(k); patch[k] = val; }
        }
        const cfPatch = {};
        for (const f of fields) {
          const old = c.customFields ? c.customFields[f.key] : undefined;
          const val = custom[f.key];
          if (String(old ?? "") !== String(val ?? "")) { mask.push(`customFields.${f.key}`); cfPatch[f.key] = val; }
        }
        if (Object.keys(cfPatch).length) patch.customFields = cfPatch;
        if (!mask.length) {
          m.close();
          return;
        }
        await api.patch(`/api/v1/contacts/${encodeURIComponent(contact.id)}`, { contact: patch, updateMask: mask });
        toast("Contact saved.", "ok");
      }
      m.close(true);
      load();
    });
    const first = form.querySelector("input:not([disabled])");
    if (first) first.focus();
  }

  async function remove(contact, m) {
    if (!(await confirmDialog(`Delete ${contactName(contact)}? Their tags and custom values go with them. A contact with conversations is kept (erase it from the Data manager).`,
      { title: "Delete contact", confirm: "Delete", danger: true }))) return;
    try {
      await api.del(`/api/v1/contacts/${encodeURIComponent(contact.id)}`);
      toast("Contact deleted.", "ok");
      m.close(true);
      load();
    } catch (err) {
      toast(err.message, "error", 7000);
    }
  }

  // ---- Import ----------------------------------------------------------------------------------
  let stopJob = () => {};
  function openImport() {
    const fileField = field({ label: "CSV file", name: "file", type: "file", accept: ".csv,text/csv", required: true,
      help: "UTF-8, a header row first (First Name, Email, Phone, Tags, …), up to 100,000 rows." });
    const report = h("div", { class: "import-report" });
    const checkBtn = h("button", { type: "submit" }, "Check the file");
    const importBtn = h("button", { type: "button", class: "primary", disabled: true }, "Import");
    const form = h("form", { class: "import-form", novalidate: true }, fileField, report,
      h("div", { class: "form-actions" }, h("button", { type: "button", onclick: () => m.close() }, "Close"), checkBtn, importBtn));
    const m = modal({ title: "Import contacts", body: form, wide: true });
    let checked = null;  // {file, mapping}
    fileField.input.addEventListener("change", () => {
      checked = null;
      importBtn.disabled = !fileField.input.files[0];
      mount(report);
    });
    onSubmit(form, async (v) => {
      if (!v.file) throw { details: [{ field: "file", description: "choose a CSV file" }] };
      const plan = await dryRun(v.file, fields);
      checked = plan;
      mount(report, plan.node);
      importBtn.disabled = !plan.ok;
      importBtn.textContent = plan.ok ? `Import ${formatNumber(plan.rows)} rows` : "Import";
    });
    importBtn.addEventListener("click", async () => {
      const file = fileField.input.files[0];
      if (!file) return;
      importBtn.disabled = true;
      checkBtn.disabled = true;
      try {
        const mapping = checked && checked.file === file ? checked.mapping() : "";
        const job = await api.upload("/api/v1/contacts/import", file, mapping ? { mapping } : {}, "text/csv");
        mount(report, jobView(job, () => { restart(); }));
      } catch (err) {
        importBtn.disabled = false;
        checkBtn.disabled = false;
        mount(report, errorBox(err), err.details && err.details.length
          ? h("ul", null, err.details.map((d) => h("li", null, `${d.field}: ${d.description}`))) : null);
      }
    });
    m.done.then(() => stopJob());
  }

  // The job's progress: GET /api/v1/jobs/{id} every 500 ms (bounded) and `job.updated` live events.
  function jobView(job, onDone) {
    const bar = h("progress", { max: Math.max(1, job.total || 1), value: job.processed || 0, "aria-label": "Import progress" });
    const statusLine = h("p", { role: "status", "aria-live": "polite" });
    const counts = h("dl", { class: "job-counts" });
    const errors = h("div", { class: "job-errors" });
    const el = h("section", { class: "job-view", "aria-label": "Import progress" }, statusLine, bar, counts, errors);
    let done = false;
    let polls = 0;
    const MAX_POLLS = 2400;  // 20 minutes at 500 ms
    function show(j) {
      bar.max = Math.max(1, j.total || 0);
      bar.value = j.processed || 0;
      const pct = j.total ? Math.floor((100 * (j.processed || 0)) / j.total) : 0;
      statusLine.textContent = `Import ${j.status}: ${formatNumber(j.processed || 0)} of ${formatNumber(j.total || 0)} rows (${pct}%)${j.message ? ` — ${j.message}` : ""}`;
      mount(counts,
        ["created", "updated", "skipped", "errorCount"].map((k) => [
          h("dt", null, k === "errorCount" ? "errors" : k), h("dd", null, formatNumber(j[k] || 0))]));
      const extra = [];
      if ((j.ignoredColumns || []).length) extra.push(h("p", { class: "muted" }, `Ignored columns: ${j.ignoredColumns.join(", ")}`));
      if ((j.errors || []).length) {
        extra.push(h("h3", null, `Rows with errors (${formatNumber(j.errorCount || j.errors.length)})`),
          table({ columns: [{ label: "Row", class: "num", value: (e) => String(e.row) }, { label: "Message", value: (e) => e.message }],
            rows: j.errors.slice(0, 200), caption: "Rows with errors" }),
          j.errors.length > 200 ? h("p", { class: "muted" }, `The first 200 of ${formatNumber(j.errorCount)} are shown.`) : null);
      }
      mount(errors, extra);
      if (!done && (j.status === "succeeded" || j.status === "failed")) {
        done = true;
        finish();
        toast(j.status === "succeeded" ? `Import finished: ${formatNumber(j.created)} created, ${formatNumber(j.updated)} updated.` : "The import failed.", j.status === "succeeded" ? "ok" : "error");
        onDone();
      }
    }
    let timer = 0;
    const off = live.on("job.updated", (ev) => { if (ev.data && ev.data.id === job.id && !done) show(ev.data); });
    function finish() {
      clearTimeout(timer);
      off();
    }
    async function poll() {
      if (done) return;
      polls += 1;
      try {
        show(await api.get(`/api/v1/jobs/${encodeURIComponent(job.id)}`));
      } catch (err) {
        statusLine.textContent = `Could not read the job: ${err.message}`;
      }
      if (done) return;
      if (polls >= MAX_POLLS) {
        finish();
        statusLine.textContent = `Still running after 20 minutes; job ${job.id} goes on in the background.`;
        return;
      }
      timer = setTimeout(poll, 500);
    }
    stopJob = finish;
    show(job);
    timer = setTimeout(poll, 500);
    return el;
  }

  await load();
  const refresh = debounce(load, 500);
  const offs = [
    live.on("contact.created", refresh),
    live.on("contact.updated", refresh),
    live.on("contact.deleted", refresh),
    live.on("resync", refresh),
  ];
  return () => {
    offs.forEach((off) => off());
    stopJob();
  };
}

// ---- The check in the browser ("dry run") -------------------------------------------------------
// The API has no dry run: this reads the file as the importer will (RFC 4180, header names as in
// docs/crm.md) and says which column goes to which field, how many rows there are and which rows
// will fail for lack of an email, a phone or a name. The server still checks every value.

const HEADER_FIELDS = {
  id: "id", firstname: "firstName", lastname: "lastName", name: "fullName", fullname: "fullName",
  email: "email", phone: "phone", phonenumber: "phone", mobile: "phone", title: "title",
  accountid: "accountId", ownerid: "ownerId", tags: "tags", journeystage: "journeyStage", city: "city",
  country: "country", language: "language", facebookid: "facebookId", instagramid: "instagramId",
  whatsappid: "whatsappId",
};
const IMPORT_FIELDS = ["id", "firstName", "lastName", "fullName", "email", "phone", "title", "accountId", "ownerId",
  "tags", "journeyStage", "city", "country", "language", "facebookId", "instagramId", "whatsappId"];
const IDENTITY = new Set(["email", "phone", "firstName", "lastName", "fullName"]);

export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  for (; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { cell += '"'; i += 1; } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { row.push(cell); cell = ""; }
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i += 1;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
  }
  if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

function headerField(name, decls) {
  const n = String(name).toLowerCase().replace(/[\s_-]/g, "");
  if (HEADER_FIELDS[n]) return HEADER_FIELDS[n];
  if (n.startsWith("customfields.")) {
    const key = n.slice("customfields.".length);
    const d = decls.find((x) => x.key.toLowerCase() === key);
    return d ? `customFields.${d.key}` : "";
  }
  const d = decls.find((x) => x.key.toLowerCase().replace(/[\s_-]/g, "") === n);
  return d ? `customFields.${d.key}` : "";
}

async function dryRun(file, decls) {
  const text = await file.text();
  const rows = parseCsv(text).filter((r) => !(r.length === 1 && r[0] === ""));
  if (!rows.length) throw { details: [{ field: "file", description: "the file is empty" }] };
  const header = rows[0];
  const data = rows.slice(1);
  const detected = header.map((col) => headerField(col, decls));
  const chosen = [...detected];
  const allFields = [...IMPORT_FIELDS, ...decls.map((d) => `customFields.${d.key}`)];
  const summary = h("div", { class: "dry-summary", role: "status" });
  const plan = {
    file, rows: data.length, ok: false, node: null,
    // Only the columns changed from what the header says, as 1-based numbers ("3:email").
    mapping: () => chosen.map((f, i) => (f && f !== detected[i] ? `${i + 1}:${f}` : "")).filter(Boolean).join(","),
  };
  function evaluate() {
    const idCols = chosen.map((f, i) => (IDENTITY.has(f) ? i : -1)).filter((i) => i >= 0);
    const problems = [];
    if (!idCols.length) problems.push("No column is an email, a phone or a name: the server refuses such a file.");
    if (data.length > 100000) problems.push(`${formatNumber(data.length)} rows: at most 100,000 a file.`);
    const dupes = chosen.filter((f, i) => f && chosen.indexOf(f) !== i);
    if (dupes.length) problems.push(`More than one column goes to ${[...new Set(dupes)].join(", ")}.`);
    let empty = 0;
    let noIdentity = 0;
    let widthMismatch = 0;
    for (const r of data) {
      if (r.every((c) => c.trim() === "")) { empty += 1; continue; }
      if (r.length !== header.length) widthMismatch += 1;
      if (idCols.length && idCols.every((i) => !(r[i] || "").trim())) noIdentity += 1;
    }
    plan.ok = !problems.length && data.length > 0;
    mount(summary,
      h("p", null, h("strong", null, formatNumber(data.length)), ` data rows, ${header.length} columns. `,
        "Rows matching an existing contact (by id, email, phone or platform id) update it; the others create contacts."),
      h("ul", null,
        h("li", null, `${formatNumber(data.length - empty - noIdentity)} rows can be imported`),
        empty ? h("li", null, `${formatNumber(empty)} empty rows will be skipped`) : null,
        noIdentity ? h("li", { class: "warn-text" }, `${formatNumber(noIdentity)} rows have no email, phone or name and will be errors`) : null,
        widthMismatch ? h("li", { class: "warn-text" }, `${formatNumber(widthMismatch)} rows do not have ${header.length} cells`) : null),
      problems.map((p) => h("p", { class: "form-error", role: "alert" }, p)));
  }
  const mappingTable = table({
    caption: "Columns and the fields they go to",
    columns: [
      { label: "Column", value: (c) => c.name || `(column ${c.i + 1})` },
      { label: "Goes to", value: (c) => {
        const sel = h("select", { "aria-label": `Field for column ${c.name || c.i + 1}`,
          onchange: (ev) => { chosen[c.i] = ev.target.value; evaluate(); } },
        h("option", { value: "", selected: !detected[c.i] }, detected[c.i] ? `${detected[c.i]} (as the header says)` : "— not imported —"),
        allFields.filter((f) => f !== detected[c.i]).map((f) => h("option", { value: f }, f)));
        if (detected[c.i]) sel.value = "";
        sel.addEventListener("change", () => { if (!sel.value) chosen[c.i] = detected[c.i]; evaluate(); });
        return sel;
      } },
      { label: "First values", value: (c) => data.slice(0, 3).map((r) => r[c.i] || "").filter(Boolean).join(" · ") },
    ],
    rows: header.map((name, i) => ({ name, i })),
  });
  evaluate();
  plan.node = h("div", { class: "dry-run" }, h("h3", null, "What this file will do"), summary, mappingTable);
  return plan;
}
