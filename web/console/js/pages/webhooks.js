// Outgoing webhooks (#/webhooks, admins and owners): the workspace's endpoints subscribed to its
// events (OutgoingWebhookService in proto/salesos/webhook_ingest/v1; docs/webhooks.md): the list,
// creating one (its secret shown once), deleting, and each one's delivery log with redelivery.

import { api, listAll } from "../api.js";
import {
  h, mount, field, onSubmit, toast, confirmDialog, modal, table, pageHeader, badge, loadInto,
  formatNumber, formatTime, relativeTime, nextId, pager, copyButton } from "../ui.js";

const EVENT_TYPES = [
  ["Messages", ["message.received", "message.sent", "message.failed"]],
  ["Conversations", ["conversation.started", "conversation.status_changed", "conversation.handoff", "lead.scored", "conversion.recorded", "ai.replied"]],
  ["Contacts", ["contact.created"]],
  ["Campaigns", ["campaign.created", "campaign.updated", "campaign.activated", "campaign.paused", "campaign.completed", "campaign.deleted"]],
  ["Broadcasts", ["broadcast.updated", "broadcast.receipt", "broadcast.reply"]],
  ["Workspace", ["channel.changed", "workspace.profile_updated", "data.deleted", "data.cleared"]],
];
const DELIVERY_KIND = { succeeded: "ok", failed: "bad", pending: "warn" };



// The events picker: a labelled group of checkboxes, with "all events" ("*"), whose errors land
// under it (a .field named "events").
function eventsPicker() {
  const errId = nextId("events-error");
  const all = h("input", { type: "checkbox", id: nextId("ev"), value: "*" });
  const boxes = [];
  const groups = EVENT_TYPES.map(([label, types]) => h("div", { class: "event-group" },
    h("p", { class: "event-group-title" }, label),
    types.map((t) => {
      const id = nextId("ev");
      const box = h("input", { type: "checkbox", id, value: t });
      boxes.push(box);
      return h("div", { class: "event-option" }, box, h("label", { for: id }, h("code", null, t)));
    })));
  all.addEventListener("change", () => {
    for (const b of boxes) b.disabled = all.checked;
  });
  const el = h("fieldset", { class: "field events-field", dataset: { field: "events" }, "aria-describedby": errId },
    h("legend", null, "Events", h("span", { class: "req", "aria-hidden": "true" }, " *")),
    h("small", { id: errId, class: "error", role: "alert" }),
    h("div", { class: "event-option event-all" }, all, h("label", { for: all.id }, "All events (", h("code", null, "*"), ")")),
    h("div", { class: "event-groups" }, groups),
    h("small", { class: "help" }, "automation.webhook needs no subscription: an automation's \"call a webhook\" action reaches its webhook whatever is ticked here."));
  el.values = () => (all.checked ? ["*"] : boxes.filter((b) => b.checked).map((b) => b.value));
  return el;
}

export async function webhooks(root) {
  const listBox = h("div", { class: "webhook-list stack-on-phone" });
  const deliveriesBox = h("div", { class: "webhook-deliveries" });
  let selected = null;

  mount(root,
    pageHeader("Webhooks", h("button", { type: "button", class: "primary", onclick: createDialog }, "New webhook")),
    h("p", { class: "muted page-intro" }, "SalesOS POSTs the events you pick to your URL, signed with the webhook's secret (",
      h("code", null, "X-SalesOS-Signature: t=…,v1=HMAC-SHA256(secret, \"t.body\")"),
      "), and retries failures with a growing delay for 24 hours. Dedupe on ", h("code", null, "X-SalesOS-Event-Id"), "."),
    h("section", { class: "panel", "aria-labelledby": "hooks-title" }, h("h2", { id: "hooks-title" }, "Endpoints"), listBox),
    deliveriesBox);

  async function refresh() {
    await loadInto(listBox, async () => {
      const items = await listAll("/api/v1/webhooks", "webhooks");
      if (selected && !items.find((w) => w.id === selected.id)) {
        selected = null;
        mount(deliveriesBox);
      }
      return table({
        rows: items,
        caption: "Webhooks",
        empty: "No webhooks yet. Create one to have SalesOS notify your CRM, a Zapier hook or your own service.",
        columns: [
          { label: "URL", class: "webhook-url", value: (w) => h("div", null, h("code", null, w.url), w.description ? h("div", { class: "muted" }, w.description) : null) },
          { label: "Events", value: (w) => h("div", { class: "event-badges" }, (w.events || []).map((e) => badge(e === "*" ? "all events" : e, "info"))) },
          { label: "Secret", value: (w) => w.secretHint || "—" },
          { label: "State", value: (w) => (w.isActive === false ? badge("inactive", "warn") : badge("active", "ok")) },
          { label: "Created", value: (w) => h("time", { datetime: w.createdAt, title: formatTime(w.createdAt) }, relativeTime(w.createdAt)) },
          {
            label: "", class: "actions-cell",
            value: (w) => h("div", { class: "row webhook-actions" },
              h("button", { type: "button", onclick: () => showDeliveries(w), "aria-label": `Deliveries of ${w.url}` }, "Deliveries"),
              h("button", { type: "button", class: "danger", onclick: () => remove(w), "aria-label": `Delete ${w.url}` }, "Delete")),
          },
        ],
      });
    });
  }

  async function remove(w) {
    const ok = await confirmDialog(`Delete the webhook to ${w.url}? Deliveries stop at once; pending retries and the delivery log go with it. Automations that call it will fail.`,
      { title: "Delete webhook", confirm: "Delete", danger: true });
    if (!ok) return;
    try {
      await api.del(`/api/v1/webhooks/${w.id}`);
      toast("Webhook deleted", "ok");
      refresh();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  function showDeliveries(w) {
    selected = w;
    const status = field({
      label: "Status", name: "deliveryStatus", type: "select",
      options: [["", "Every status"], ["pending", "pending"], ["succeeded", "succeeded"], ["failed", "failed"]],
      onchange: () => paged.first(),
    });
    status.input.removeAttribute("name");
    const redeliver = async (d, btn) => {
      btn.disabled = true;
      try {
        const again = await api.post(`/api/v1/webhooks/${w.id}/deliveries/${d.id}/redeliver`, {});
        toast(`Redelivered as ${again.status}`, "ok");
        paged.first();
      } catch (err) {
        toast(err.message, "error");
        btn.disabled = false;
      }
    };
    const paged = pager({
      label: "Delivery pages",
      load: async (token) => {
        const res = await api.get(`/api/v1/webhooks/${w.id}/deliveries`, { status: status.input.value, pageSize: 25, pageToken: token });
        return { rows: res.deliveries || [], next: res.nextPageToken };
      },
      render: (rows) => table({
        rows,
        caption: "Deliveries",
        empty: "No deliveries yet. They appear when a subscribed event happens.",
        columns: [
          { label: "Created", value: (d) => h("time", { datetime: d.createdAt, title: formatTime(d.createdAt) }, relativeTime(d.createdAt)) },
          { label: "Event", value: (d) => h("div", null, h("code", null, d.eventType), d.redeliveryOf ? h("div", { class: "muted" }, "redelivery") : null) },
          { label: "Status", value: (d) => badge(d.status, DELIVERY_KIND[d.status]) },
          { label: "Attempts", class: "num", value: (d) => formatNumber(d.attempts) },
          { label: "HTTP", class: "num", value: (d) => (d.lastHttpStatus ? String(d.lastHttpStatus) : "—") },
          { label: "Last error", class: "delivery-error", value: (d) => d.lastError || "—" },
          { label: "Timing", value: (d) => d.status === "pending" && d.nextAttemptAt
            ? `next try ${relativeTime(d.nextAttemptAt) === "just now" ? "soon" : formatTime(d.nextAttemptAt)}`
            : d.deliveredAt ? `${formatNumber(d.durationMs)} ms, ${formatTime(d.deliveredAt)}` : (d.durationMs ? `${formatNumber(d.durationMs)} ms` : "—") },
          {
            label: "", class: "actions-cell",
            value: (d) => h("button", { type: "button", onclick: (ev) => redeliver(d, ev.currentTarget), "aria-label": `Redeliver ${d.eventType}` }, "Redeliver"),
          },
        ],
      }),
    });
    mount(deliveriesBox, h("section", { class: "panel", "aria-labelledby": "deliveries-title", tabindex: "-1" },
      h("div", { class: "row" },
        h("h2", { id: "deliveries-title" }, "Deliveries to ", h("code", null, w.url)),
        h("span", { class: "spacer" }), status,
        h("button", { type: "button", onclick: () => paged.reload() }, "Refresh"),
        h("button", { type: "button", onclick: () => { selected = null; mount(deliveriesBox); } }, "Close")),
      paged));
    deliveriesBox.firstChild.scrollIntoView({ block: "start" });
    deliveriesBox.firstChild.focus({ preventScroll: true });
  }

  function createDialog() {
    const events = eventsPicker();
    const form = h("form", { class: "webhook-form", novalidate: true },
      field({ label: "URL", name: "url", type: "url", required: true, placeholder: "https://example.com/salesos", help: "An https:// URL of yours; private addresses are refused." }),
      field({ label: "Description", name: "description", maxlength: 500 }),
      events,
      field({ label: "Secret", name: "secret", autocomplete: "off", help: "16 to 200 printable characters without spaces; leave empty to have one made." }),
      h("div", { class: "form-actions" },
        h("button", { type: "button", onclick: () => m.close() }, "Cancel"),
        h("button", { type: "submit", class: "primary" }, "Create webhook")));
    const m = modal({ title: "New webhook", body: form, wide: true });
    onSubmit(form, async (values) => {
      const body = { url: values.url.trim(), events: events.values(), description: values.description.trim() };
      if (values.secret) body.secret = values.secret;
      const created = await api.post("/api/v1/webhooks", body);
      m.close(true);
      refresh();
      showSecret(created);
    });
    form.querySelector("input").focus();
  }

  function showSecret(w) {
    let m;
    const done = h("button", { type: "button", class: "primary", onclick: () => m.close() }, "I have copied it");
    m = modal({
      title: "Webhook created",
      body: h("div", { class: "secret-once" },
        h("p", null, "Deliveries to ", h("code", null, w.url), " are signed with this secret. ", h("strong", null, "Copy it now: it is shown only this once.")),
        h("div", { class: "secret-row" }, h("code", { class: "secret-value" }, w.secret || ""), copyButton(w.secret || "", "Copy the secret")),
        h("p", { class: "muted" }, "To rotate it later, delete the webhook and create a new one.")),
      actions: [done],
    });
    done.focus();
  }

  refresh();
  return undefined;
}
