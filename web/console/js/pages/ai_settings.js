// AI settings (#/ai, admins and owners): the workspace's model settings (AiSettings in
// proto/salesos/ai_orchestration/v1; docs/ai.md "Settings"), the knowledge base's training status,
// and the log of recent AI runs with their fallback reasons.

import { api } from "../api.js";
import {
  h, mount, field, onSubmit, toast, table, pageHeader, badge, loadInto, formatNumber, formatTime,
  relativeTime, pager } from "../ui.js";
import { hasRole } from "../app.js";

const EFFECTIVE = {
  workspace: ["workspace endpoint", "ok", "Replies come from this workspace's endpoint, with the built-in engine as the fallback."],
  platform: ["platform endpoint", "info", "Replies come from the endpoint your SalesOS operator configured, with the built-in engine as the fallback."],
  builtin: ["built-in engine", "", "Replies come from the built-in engine: offline, deterministic, grounded in your knowledge base."],
};
const KINDS = [["", "Every kind"], ["reply", "reply"], ["preview", "preview"], ["assistant", "assistant"], ["segment_rules", "segment rules"], ["message_generation", "message generation"], ["summarize", "summarize"]];
const FALLBACK_HELP = {
  timeout: "no complete answer within the timeout",
  rate_limited: "the endpoint answered 429",
  server_error: "the endpoint answered 5xx or a broken answer",
  client_error: "the endpoint answered 4xx (check the key and model)",
  unreachable: "DNS, connection or TLS failure",
  egress_blocked: "the base URL is refused (private address or not http(s))",
  malformed_output: "the answer was not the expected JSON",
  wrong_price: "the answer stated a price other than the product's",
  invalid_output: "the answer was refused by the checks",
  circuit_open: "skipped: the endpoint failed repeatedly and is paused for 30 s",
};


export async function aiSettings(root) {
  const settingsBox = h("div");
  const statusBox = h("div");
  const kind = field({ label: "Kind", name: "kind", type: "select", options: KINDS, onchange: () => runs.first() });
  kind.input.removeAttribute("name");
  const runs = pager({
    label: "AI run pages",
    load: async (token) => {
      const res = await api.get("/api/v1/ai/runs", { kind: kind.input.value, pageSize: 25, pageToken: token });
      return { rows: res.runs || [], next: res.nextPageToken };
    },
    render: (rows) => table({
      rows,
      caption: "Recent AI runs",
      empty: "No AI runs yet. Each reply, preview, summary or generation is logged here.",
      columns: [
        { label: "When", value: (r) => h("time", { datetime: r.createdAt, title: formatTime(r.createdAt) }, relativeTime(r.createdAt)) },
        { label: "Kind", value: (r) => r.kind },
        { label: "Provider", value: (r) => h("span", null, r.provider, r.model ? h("small", { class: "muted" }, ` · ${r.model}`) : null) },
        { label: "Latency", class: "num", value: (r) => `${formatNumber(r.latencyMs)} ms` },
        { label: "Tokens", class: "num", value: (r) => (r.promptTokens || r.completionTokens) ? `${formatNumber(r.promptTokens)} / ${formatNumber(r.completionTokens)}` : "—" },
        { label: "Fallback", value: (r) => r.fallbackReason ? h("span", { title: FALLBACK_HELP[r.fallbackReason] || "" }, badge(r.fallbackReason, "warn")) : h("span", { class: "muted" }, "—") },
        { label: "Intent", value: (r) => r.intent || "—" },
        { label: "Conversation", value: (r) => r.conversationId ? h("a", { href: `#/inbox/${r.conversationId}` }, "open") : "—" },
      ],
    }),
  });

  mount(root,
    pageHeader("AI settings"),
    h("div", { class: "ai-layout" },
      h("section", { class: "panel ai-model", "aria-labelledby": "model-title" }, h("h2", { id: "model-title" }, "Engine"), settingsBox),
      h("section", { class: "panel ai-training", "aria-labelledby": "training-title" }, h("h2", { id: "training-title" }, "Knowledge base"), statusBox)),
    h("section", { class: "panel ai-runs", "aria-labelledby": "runs-title" },
      h("div", { class: "row" }, h("h2", { id: "runs-title" }, "Recent AI runs"), h("span", { class: "spacer" }), kind,
        h("button", { type: "button", onclick: () => runs.reload() }, "Refresh")),
      runs));

  loadInto(settingsBox, async () => settingsForm(await api.get("/api/v1/ai/settings")));
  loadStatus();

  function loadStatus(promise) {
    return loadInto(statusBox, async () => statusView(await (promise || api.get("/api/v1/ai/status"))));
  }

  function statusView(s) {
    const train = h("button", {
      type: "button", class: "primary",
      onclick: async () => {
        train.disabled = true;
        train.textContent = "Training…";
        try {
          await loadStatus(api.post("/api/v1/ai/train", {}));
          toast("Knowledge base rebuilt", "ok");
        } catch (err) {
          toast(err.message, "error");
          train.disabled = false;
          train.textContent = "Retrain now";
        }
      },
    }, "Retrain now");
    return h("div", null,
      h("p", null, s.trained ? badge("trained", "ok") : badge("not trained", "warn"), " ",
        s.lastTrainedAt ? h("span", { class: "muted" }, `last ${formatTime(s.lastTrainedAt)}`) : null),
      h("div", { class: "grid ai-stats" },
        h("div", { class: "stat" }, h("div", { class: "label" }, "Documents"), h("div", { class: "value" }, formatNumber(s.documents))),
        h("div", { class: "stat" }, h("div", { class: "label" }, "Chunks"), h("div", { class: "value" }, formatNumber(s.chunks)))),
      h("p", { class: "muted" }, "Built from the business profile and every campaign; it retrains by itself when they change."),
      hasRole("admin") ? h("div", { class: "row" }, train) : null);
  }
}

function settingsForm(s) {
  const eff = EFFECTIVE[s.effective] || [s.effective || "unknown", "", ""];
  const effective = h("p", { class: "ai-effective" }, "Answering now: ", badge(eff[0], eff[1]), h("br"), h("small", { class: "muted" }, eff[2]));
  const provider = field({
    label: "Provider", name: "provider", type: "select", value: s.provider || "builtin",
    options: [["builtin", "Built-in engine (or the platform's endpoint)"], ["openai-compatible", "OpenAI-compatible endpoint"]],
    onchange: () => sync(),
  });
  const keyState = h("span", { class: "key-state" });
  const clearKey = field({ label: "Remove the stored API key", name: "clearApiKey", type: "checkbox", value: false });
  const apiKey = field({
    label: "API key", name: "apiKey", type: "password", autocomplete: "off",
    help: "Write-only: never shown again. Empty keeps the stored key.",
  });
  const endpoint = h("fieldset", { class: "ai-endpoint" },
    h("legend", null, "Endpoint"),
    field({ label: "Base URL", name: "baseUrl", type: "url", value: s.baseUrl, placeholder: "https://api.openai.com/v1", help: "Chat Completions API; POST <base URL>/chat/completions. Private addresses are refused." }),
    field({ label: "Model", name: "model", value: s.model, placeholder: "gpt-4o-mini" }),
    h("p", { class: "key-line" }, "API key: ", keyState),
    apiKey,
    clearKey);
  const tuning = h("fieldset", { class: "ai-tuning" },
    h("legend", null, "Generation"),
    h("div", { class: "grid" },
      field({ label: "Temperature", name: "temperature", type: "number", min: 0, max: 2, step: 0.1, value: s.temperature, help: "0 to 2; lower is more predictable." }),
      field({ label: "Max tokens", name: "maxTokens", type: "number", min: 1, max: 4096, step: 1, value: s.maxTokens, help: "1 to 4,096 per answer." }),
      field({ label: "Timeout (ms)", name: "timeoutMs", type: "number", min: 500, max: 60000, step: 100, value: s.timeoutMs, help: "500 to 60,000; then the built-in engine answers." })));
  const updated = h("p", { class: "muted" });
  const form = h("form", { class: "ai-settings-form", novalidate: true },
    effective, provider, endpoint, tuning,
    h("p", { class: "muted" }, "When the endpoint fails, times out or answers badly, the built-in engine answers and the run log says why."),
    updated,
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Save settings")));

  function show(cur) {
    mount(keyState, cur.apiKeySet ? badge("set", "ok") : badge("not set", ""));
    clearKey.hidden = !cur.apiKeySet;
    clearKey.input.checked = false;
    apiKey.input.value = "";
    apiKey.input.placeholder = cur.apiKeySet ? "•••••••• (stored; type to replace)" : "";
    updated.textContent = cur.updatedAt ? `Last saved ${formatTime(cur.updatedAt)}` : "Never saved: the defaults apply.";
    const e = EFFECTIVE[cur.effective] || [cur.effective || "unknown", "", ""];
    mount(effective, "Answering now: ", badge(e[0], e[1]), h("br"), h("small", { class: "muted" }, e[2]));
  }
  function sync() {
    endpoint.classList.toggle("is-off", provider.input.value === "builtin");
  }
  onSubmit(form, async (values) => {
    const body = {
      provider: values.provider,
      baseUrl: values.baseUrl.trim(),
      model: values.model.trim(),
      temperature: values.temperature ?? 0,
      maxTokens: values.maxTokens ?? 0,
      timeoutMs: values.timeoutMs ?? 0,
    };
    if (values.apiKey) body.apiKey = values.apiKey;
    if (values.clearApiKey && !values.apiKey) body.clearApiKey = true;
    const saved = await api.put("/api/v1/ai/settings", body);
    show(saved);
    toast("AI settings saved", "ok");
  });
  show(s);
  sync();
  return form;
}
