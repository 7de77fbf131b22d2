// Integrations (#/integrations): the workspace's connected channels (IntegrationService in
// proto/salesos/auth/v1/auth.proto; docs/api.md "Channel integrations"), the forms that connect a
// Facebook Page, an Instagram account or a WhatsApp number, their settings, and what an operator
// types into the Meta app's webhook settings. Every member reads; admins and owners change.

import { api, listAll } from "../api.js";
import {
  h, mount, field, onSubmit, nest, toast, confirmDialog, modal, pageHeader, badge, loadInto,
  formatTime, relativeTime, copyButton, timeZoneOptions } from "../ui.js";
import { hasRole } from "../app.js";
import { live } from "../live.js";

const PLATFORMS = {
  facebook: {
    label: "Facebook Page",
    idLabel: "Page id",
    fields: [
      { name: "pageId", label: "Page id", required: true, help: "The numeric id of the Page (Page settings → About → Page ID)." },
      { name: "pageName", label: "Page name", help: "Shown in SalesOS; the Page's name on Facebook." },
      { name: "pageAccessToken", label: "Page access token", type: "password", required: true, help: "A long-lived Page access token with pages_messaging." },
    ],
  },
  instagram: {
    label: "Instagram account",
    idLabel: "Account id",
    fields: [
      { name: "accountId", label: "Instagram account id", required: true, help: "The Instagram professional account's id (IGSID of the business account)." },
      { name: "username", label: "Username", help: "The account's @username, shown in SalesOS." },
      { name: "pageAccessToken", label: "Page access token", type: "password", required: true, help: "The access token of the Facebook Page linked to the account, with instagram_manage_messages." },
    ],
  },
  whatsapp: {
    label: "WhatsApp number",
    idLabel: "Phone number id",
    fields: [
      { name: "phoneNumberId", label: "Phone number id", required: true, help: "WhatsApp Manager → Phone numbers → the number's id (not the number itself)." },
      { name: "wabaId", label: "WhatsApp Business Account id", required: true, help: "The numeric WABA id (WhatsApp Manager → Account tools)." },
      { name: "displayPhoneNumber", label: "Display phone number", help: "The number as customers see it, e.g. +33 6 12 34 56 78." },
      { name: "accessToken", label: "Access token", type: "password", required: true, help: "A system user's permanent token with whatsapp_business_messaging." },
    ],
  },
};
const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"], ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];


// The settings' inputs, named as the API's paths (settings.businessHours.schedule.mon).
function settingsFields(settings = {}) {
  const hours = settings.businessHours || {};
  const schedule = hours.schedule || {};
  const notifications = settings.notifications || {};
  const localZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  return h("div", { class: "integration-settings" },
    field({ label: "AI replies automatically", name: "settings.autoReply", type: "checkbox", value: settings.autoReply ?? true, help: "Off: every conversation waits for an agent." }),
    h("fieldset", { class: "business-hours" },
      h("legend", null, "Business hours"),
      field({ label: "Use business hours", name: "settings.businessHours.enabled", type: "checkbox", value: hours.enabled }),
      field({ label: "Time zone", name: "settings.businessHours.timezone", type: "select", value: hours.timezone || localZone, options: timeZoneOptions(hours.timezone || localZone) }),
      h("div", { class: "hours-grid" }, DAYS.map(([key, label]) => field({
        label, name: `settings.businessHours.schedule.${key}`, value: schedule[key] || "", placeholder: "closed",
        help: key === "mon" ? "e.g. 09:00-17:00 or 09:00-12:00,13:00-17:30; empty: closed" : "",
      })))),
    h("fieldset", { class: "notifications" },
      h("legend", null, "Notifications"),
      field({ label: "By email", name: "settings.notifications.email", type: "checkbox", value: notifications.email }),
      field({ label: "Push", name: "settings.notifications.push", type: "checkbox", value: notifications.push })));
}

// The form's flat values as the API's settings object (closed days left out).
function settingsBody(values) {
  const nested = nest(Object.fromEntries(Object.entries(values).filter(([k]) => k.startsWith("settings."))));
  const s = nested.settings || {};
  const schedule = {};
  for (const [day, v] of Object.entries((s.businessHours && s.businessHours.schedule) || {})) {
    if (String(v).trim()) schedule[day] = String(v).trim();
  }
  return {
    autoReply: Boolean(s.autoReply),
    businessHours: { enabled: Boolean(s.businessHours && s.businessHours.enabled), timezone: (s.businessHours && s.businessHours.timezone) || "", schedule },
    notifications: { email: Boolean(s.notifications && s.notifications.email), push: Boolean(s.notifications && s.notifications.push) },
  };
}

function hoursSummary(settings = {}) {
  const hours = settings.businessHours || {};
  if (!hours.enabled) return "always open";
  const days = DAYS.filter(([k]) => hours.schedule && hours.schedule[k]).map(([k]) => `${k} ${hours.schedule[k]}`);
  return days.length ? `${days.join(" · ")} (${hours.timezone || "UTC"})` : `closed every day (${hours.timezone || "UTC"})`;
}


export async function integrations(root) {
  const canWrite = hasRole("admin");
  const listBox = h("div", { class: "integration-list", "aria-live": "polite" });
  const callback = `${location.origin}/webhooks/meta`;

  const setup = h("section", { class: "panel webhook-setup", "aria-labelledby": "setup-title" },
    h("h2", { id: "setup-title" }, "Receiving messages: the Meta webhook"),
    h("p", null, "In your Meta app (developers.facebook.com → your app → Webhooks for Messenger and Instagram, WhatsApp → Configuration for WhatsApp), set:"),
    h("dl", { class: "setup-list" },
      h("dt", null, "Callback URL"),
      h("dd", { class: "copy-line" }, h("code", { class: "copyable" }, callback), copyButton(callback, "Copy the callback URL")),
      h("dt", null, "Verify token"),
      h("dd", null, "The verify token your SalesOS operator configured (", h("code", null, "SALESOS_META_VERIFY_TOKEN"),
        "). It is a secret of the platform and is not shown here; Meta checks it once with a GET to the callback URL."),
      h("dt", null, "Subscriptions"),
      h("dd", null, "Messenger and Instagram: ", h("code", null, "messages"), ", ", h("code", null, "messaging_postbacks"), ", ",
        h("code", null, "message_echoes"), ", ", h("code", null, "message_reads"), " (Instagram: ", h("code", null, "messaging_seen"),
        "); WhatsApp: ", h("code", null, "messages"), ".")),
    h("p", { class: "muted" }, "Deliveries are signed with the app secret (X-Hub-Signature-256) and refused without it. Then connect each Page, account or number below: messages for channels that are not connected are ignored."));

  let connectPanel = null;
  if (canWrite) connectPanel = connectForm(() => refresh());

  mount(root,
    pageHeader("Integrations"),
    h("section", { class: "panel", "aria-labelledby": "connected-title" },
      h("h2", { id: "connected-title" }, "Connected channels"),
      listBox),
    connectPanel,
    setup,
    canWrite ? null : h("p", { class: "muted" }, "Admins and owners connect and change channels."));

  async function refresh() {
    await loadInto(listBox, async () => {
      const items = await listAll("/api/v1/integrations", "integrations");
      if (!items.length) return h("p", { class: "empty" }, "No channel connected yet. Connect a Facebook Page, an Instagram account or a WhatsApp number to start receiving messages.");
      return h("ul", { class: "integration-cards" }, items.map((it) => h("li", null, card(it))));
    });
  }

  function card(it) {
    const p = PLATFORMS[it.platform] || { label: it.platform, idLabel: "Id" };
    const settings = it.settings || {};
    return h("article", { class: "integration-card", dataset: { platform: it.platform } },
      h("header", null,
        h("span", { class: ["platform-mark", `platform-${it.platform}`], "aria-hidden": "true" }, (it.platform || "?").slice(0, 1).toUpperCase()),
        h("div", { class: "integration-title" },
          h("h3", null, it.name || it.externalId),
          h("span", { class: "muted" }, p.label)),
        badge(it.status || "unknown", it.status === "connected" ? "ok" : "warn")),
      h("dl", { class: "integration-facts" },
        h("dt", null, p.idLabel), h("dd", null, h("code", null, it.externalId)),
        it.wabaId ? [h("dt", null, "WABA id"), h("dd", null, h("code", null, it.wabaId))] : null,
        h("dt", null, "Token"), h("dd", null, it.credentialsHint || "—"),
        h("dt", null, "AI auto-reply"), h("dd", null, settings.autoReply ? "on" : "off"),
        h("dt", null, "Hours"), h("dd", null, hoursSummary(settings)),
        h("dt", null, "Connected"), h("dd", null, h("time", { datetime: it.connectedAt, title: formatTime(it.connectedAt) }, relativeTime(it.connectedAt)))),
      canWrite ? h("footer", { class: "row" },
        h("button", { type: "button", onclick: () => editDialog(it) }, "Edit"),
        h("button", { type: "button", class: "danger", onclick: () => disconnect(it) }, "Disconnect")) : null);
  }

  async function disconnect(it) {
    const ok = await confirmDialog(`Disconnect ${it.name || it.externalId}? Its messages stop arriving and replies stop being sent. Existing conversations stay.`,
      { title: "Disconnect channel", confirm: "Disconnect", danger: true });
    if (!ok) return;
    try {
      await api.del(`/api/v1/integrations/${it.id}`);
      toast("Channel disconnected", "ok");
      refresh();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  function editDialog(it) {
    const form = h("form", { class: "integration-edit", novalidate: true },
      field({ label: "Display name", name: "name", value: it.name, help: "Empty keeps the current name." }),
      field({ label: "New access token", name: "accessToken", type: "password", autocomplete: "off", help: `Current token ends ${it.credentialsHint || "—"}; empty keeps it.` }),
      settingsFields(it.settings || {}),
      h("div", { class: "form-actions" },
        h("button", { type: "button", onclick: () => m.close() }, "Cancel"),
        h("button", { type: "submit", class: "primary" }, "Save changes")));
    const m = modal({ title: `Edit ${it.name || it.externalId}`, body: form, wide: true });
    onSubmit(form, async (values) => {
      const body = { settings: settingsBody(values) };
      if (values.name.trim()) body.name = values.name.trim();
      if (values.accessToken) body.accessToken = values.accessToken;
      await api.patch(`/api/v1/integrations/${it.id}`, body);
      m.close(true);
      toast("Channel updated", "ok");
      refresh();
    });
    form.querySelector("input").focus();
  }

  refresh();
  const off = live.on("resync", () => refresh());
  return () => off();
}

function connectForm(done) {
  const platform = field({
    label: "Platform", name: "platform", type: "select", value: "facebook",
    options: Object.entries(PLATFORMS).map(([k, p]) => [k, p.label]),
    onchange: () => renderFields(),
  });
  const credentials = h("div", { class: "connect-fields grid" });
  const settingsBox = h("details", { class: "connect-settings" }, h("summary", null, "Settings: auto-reply, business hours, notifications"), settingsFields({ autoReply: true }));
  const form = h("form", { class: "connect-form", novalidate: true },
    platform, credentials, settingsBox,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Connect")));
  function renderFields() {
    const p = PLATFORMS[platform.input.value];
    mount(credentials, p.fields.map((f) => field({ ...f, autocomplete: f.type === "password" ? "off" : undefined })));
  }
  renderFields();
  onSubmit(form, async (values) => {
    const p = PLATFORMS[values.platform];
    const body = { platform: values.platform, settings: settingsBody(values) };
    for (const f of p.fields) if (values[f.name]) body[f.name] = values[f.name].trim();
    const it = await api.post("/api/v1/integrations", body);
    toast(`${p.label} ${it.name || it.externalId} connected`, "ok");
    renderFields();
    done();
  });
  return h("section", { class: "panel", "aria-labelledby": "connect-title" },
    h("h2", { id: "connect-title" }, "Connect a channel"),
    form);
}
