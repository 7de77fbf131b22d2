// The onboarding wizard (#/onboarding): Business → Documents → Channel.
//
// - Business: the business profile the AI learns from (GET/PUT /api/v1/onboarding, BusinessInfo in
//   proto/salesos/auth/v1/auth.proto).
// - Documents: the profile's documents (name, url, content; at most 20), saved with PUT
//   /api/v1/onboarding as each is added or removed, then the knowledge base is rebuilt (POST
//   /api/v1/ai/train) and its state shown (GET /api/v1/ai/status).
// - Channel: a Facebook Page, Instagram account or WhatsApp number (POST /api/v1/integrations).
// PUT /api/v1/onboarding is what marks the caller's onboarding completed, so Finish saves the
// profile once more (whatever was skipped) and goes to the dashboard.

import { api, currentSession, updateUser } from "../api.js";
import { h, mount, field, nest, onSubmit, showErrors, clearErrors, toast, spinner, errorBox, badge, formValues,
  formatTime } from "../ui.js";
import { hasRole } from "../app.js";

const STEPS = ["Business", "Documents", "Channel"];
const PROFILE_FIELDS = ["businessName", "ownerName", "industry", "description", "website", "phone"];
const MAX_DOCUMENTS = 20;

const PLATFORMS = {
  facebook: {
    label: "Facebook Messenger", id: "pageId", token: "pageAccessToken", name: "pageName",
    idHelp: "The Facebook Page's numeric id (Page settings → About → Page ID).",
    tokenHelp: "A Page access token with the pages_messaging permission.",
    nameLabel: "Page name",
  },
  instagram: {
    label: "Instagram", id: "accountId", token: "pageAccessToken", name: "username",
    idHelp: "The Instagram professional account's id linked to your Page.",
    tokenHelp: "The linked Page's access token with instagram_manage_messages.",
    nameLabel: "Instagram username",
  },
  whatsapp: {
    label: "WhatsApp", id: "phoneNumberId", token: "accessToken", name: "displayPhoneNumber",
    idHelp: "The WhatsApp Cloud API phone number id (not the phone number itself).",
    tokenHelp: "A system user access token with whatsapp_business_messaging.",
    nameLabel: "Display phone number",
  },
};

function emptyInfo() {
  return { businessName: "", ownerName: "", industry: "", description: "", website: "", phone: "", documents: [] };
}

function cleanInfo(info) {
  const out = {};
  for (const k of PROFILE_FIELDS) out[k] = (info[k] || "").trim();
  out.documents = (info.documents || []).map((d) => ({ name: d.name || "", url: d.url || "", content: d.content || "" }));
  return out;
}

export async function wizard(root, ctx) {
  document.title = "Set up your workspace · SalesOS";
  const session = currentSession();
  if (!hasRole("admin")) {
    mount(root, h("div", { class: "panel" },
      h("h1", null, "Set up your workspace"),
      h("p", null, `Only the workspace's admins and owners set up the business profile and channels; you are ${session.user.role}.`),
      h("a", { class: "button primary", href: "#/" }, "Go to the dashboard")));
    return undefined;
  }

  mount(root, spinner("Loading your setup…"));
  const state = { step: 0, info: emptyInfo(), integrations: [], training: null, done: new Set(), alive: true };
  try {
    const [onb, integ, status] = await Promise.all([
      api.get("/api/v1/onboarding"),
      api.get("/api/v1/integrations", { pageSize: 100 }),
      api.get("/api/v1/ai/status").catch(() => null),
    ]);
    state.info = { ...emptyInfo(), ...(onb.businessInfo || {}) };
    state.integrations = integ.integrations || [];
    state.training = status;
  } catch (err) {
    mount(root, errorBox(err));
    return undefined;
  }
  if (!state.info.businessName && session.workspace) state.info.businessName = session.workspace.name;
  if (!state.info.ownerName && session.user) state.info.ownerName = session.user.name;

  async function saveProfile(info) {
    const answer = await api.put("/api/v1/onboarding", { businessInfo: cleanInfo(info) });
    state.info = { ...emptyInfo(), ...(answer.businessInfo || {}) };
    return answer;
  }

  const heading = h("h2", { tabindex: "-1" });
  const stepList = h("ol", { class: "steps", "aria-label": "Setup steps" });
  const progressText = h("p", { class: "muted step-progress-text" });
  const progress = h("progress", { class: "step-progress", max: STEPS.length, value: 1, "aria-label": "Setup progress" });
  const body = h("div", { class: "step-body" });
  const panel = h("section", { class: "panel", "aria-labelledby": "wizard-step-title" }, heading, body);
  heading.id = "wizard-step-title";

  mount(root, h("div", { class: "wizard" },
    h("header", { class: "wizard-head" },
      h("div", { class: "auth-brand" },
        h("img", { src: document.querySelector("link[rel=icon]").href, alt: "", width: 28, height: 28 }),
        h("span", null, "SalesOS")),
      h("a", { href: "#/" }, "Set up later")),
    h("h1", null, "Set up your workspace"),
    h("p", { class: "muted" }, "Three short steps: tell the AI about your business, give it documents to learn from, and connect a channel your customers write to."),
    stepList, progressText, progress, panel));

  function nav(...buttons) {
    return h("div", { class: "wizard-nav" }, buttons);
  }
  function backButton() {
    return h("button", { type: "button", disabled: state.step === 0, onclick: () => go(state.step - 1) }, "Back");
  }
  function skipButton() {
    return h("button", { type: "button", class: "link skip", onclick: () => go(state.step + 1) }, "Skip");
  }

  function go(step, focus = true) {
    state.step = Math.max(0, Math.min(STEPS.length - 1, step));
    mount(stepList, STEPS.map((name, i) => h("li", {
      class: state.done.has(i) && i !== state.step ? "done" : null,
      "aria-current": i === state.step ? "step" : null,
    }, h("span", null, name), state.done.has(i) && i !== state.step ? h("span", { class: "sr-only" }, " (done)") : null)));
    progressText.textContent = `Step ${state.step + 1} of ${STEPS.length}: ${STEPS[state.step]}`;
    progress.value = state.step + 1;
    heading.textContent = STEPS[state.step];
    clearErrors(panel);
    if (state.step === 0) mount(body, businessStep());
    else if (state.step === 1) mount(body, documentsStep());
    else mount(body, channelStep());
    if (focus) heading.focus();
  }

  // Step 1: the business profile.
  function businessStep() {
    const i = state.info;
    const form = h("form", { "aria-label": "Business profile" },
      h("p", { class: "muted" }, "What the AI says about your business comes from here, so be precise."),
      h("div", { class: "field-grid" },
        field({ label: "Business name", name: "businessInfo.businessName", value: i.businessName, required: true, maxlength: 100 }),
        field({ label: "Owner name", name: "businessInfo.ownerName", value: i.ownerName, maxlength: 100 }),
        field({ label: "Industry", name: "businessInfo.industry", value: i.industry, maxlength: 100, placeholder: "e.g. Home decor" }),
        field({ label: "Phone", name: "businessInfo.phone", type: "tel", value: i.phone, maxlength: 32,
          help: "Digits, spaces and + - ( ), at most 32." })),
      field({ label: "Website", name: "businessInfo.website", type: "url", value: i.website, maxlength: 2048,
        placeholder: "https://example.com" }),
      field({ label: "Description", name: "businessInfo.description", type: "textarea", rows: 5, value: i.description,
        maxlength: 5000, help: "What you sell, to whom, shipping, returns… (at most 5,000 characters)." }),
      nav(backButton(), h("span", { class: "spacer" }), skipButton(), h("button", { type: "submit", class: "primary" }, "Next")));
    onSubmit(form, async (values) => {
      const profile = nest(values).businessInfo || {};
      await saveProfile({ ...state.info, ...profile });
      state.done.add(0);
      toast("Business profile saved.", "ok");
      go(1);
    });
    return form;
  }

  // Step 2: the documents the AI is trained on.
  function trainingLine() {
    const t = state.training;
    if (!t) return h("p", { class: "train-status" }, "The AI's training state is not available right now.");
    return h("p", { class: "train-status", role: "status" },
      t.trained ? badge("trained", "ok") : badge("not trained yet", "warn"),
      t.trained ? ` ${t.documents} source${t.documents === 1 ? "" : "s"}, ${t.chunks} passage${t.chunks === 1 ? "" : "s"}` : "",
      t.lastTrainedAt ? `, last trained ${formatTime(t.lastTrainedAt)}` : "");
  }

  async function retrain(statusBox) {
    mount(statusBox, h("p", { class: "train-status", role: "status" }, "Training the AI on your documents…"));
    try {
      state.training = await api.post("/api/v1/ai/train", {});
    } catch {
      try {
        state.training = await api.get("/api/v1/ai/status");
      } catch {
        state.training = null;
      }
    }
    if (state.alive) mount(statusBox, trainingLine());
  }

  function documentsStep() {
    const statusBox = h("div", null, trainingLine());
    const list = h("ul", { class: "doc-list", "aria-label": "Documents" });
    function renderList() {
      const docs = state.info.documents || [];
      if (!docs.length) {
        mount(list, h("li", { class: "empty" }, "No documents yet. Add your FAQ, policies or product sheets below."));
        return;
      }
      mount(list, docs.map((d, idx) => h("li", null,
        h("div", { class: "doc-main" },
          h("div", { class: "doc-name" }, d.name),
          h("div", { class: "doc-meta" }, `${[...(d.content || "")].length.toLocaleString()} characters`, d.url ? ` · ${d.url}` : "")),
        h("button", {
          type: "button", class: "danger-outline", "aria-label": `Remove ${d.name}`,
          onclick: async (ev) => {
            ev.currentTarget.disabled = true;
            const docsLeft = docs.filter((_, j) => j !== idx);
            try {
              await saveProfile({ ...state.info, documents: docsLeft });
              toast(`Removed “${d.name}”.`, "ok");
              renderList();
              retrain(statusBox);
            } catch (err) {
              toast(err.message || String(err), "error");
              ev.currentTarget.disabled = false;
            }
          },
        }, "Remove"))));
    }
    renderList();

    const fileField = field({ label: "Load a text file (optional)", type: "file", accept: ".txt,.md,.csv,.json,text/plain,text/markdown,text/csv",
      help: "Plain text, Markdown or CSV; its text fills the content below." });
    const form = h("form", { "aria-label": "Add a document" },
      h("h3", null, "Add a document"),
      field({ label: "Document name", name: "name", maxlength: 200, placeholder: "e.g. Shipping and returns FAQ" }),
      field({ label: "Web address (optional)", name: "url", type: "url", maxlength: 2048, placeholder: "https://example.com/faq" }),
      fileField,
      field({ label: "Content", name: "content", type: "textarea", rows: 8, maxlength: 100000,
        help: "The text the AI learns facts from (at most 100,000 characters)." }),
      h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Add document")));
    const contentInput = form.querySelector("textarea[name=content]");
    const nameInput = form.querySelector("input[name=name]");
    fileField.input.addEventListener("change", async () => {
      const file = fileField.input.files[0];
      if (!file) return;
      if (file.size > 400_000) {
        showErrors(form, { details: [{ field: "content", description: "That file is too large: at most 100,000 characters." }] });
        return;
      }
      contentInput.value = await file.text();
      if (!nameInput.value) nameInput.value = file.name.replace(/\.[^.]+$/, "");
    });

    async function addDocument(values) {
      const doc = { name: (values.name || "").trim(), url: (values.url || "").trim(), content: values.content || "" };
      const problems = [];
      if (!doc.name) problems.push({ field: "name", description: "Give the document a name." });
      if (!doc.content.trim() && !doc.url) problems.push({ field: "content", description: "Paste the document's text (or load a file)." });
      if ((state.info.documents || []).length >= MAX_DOCUMENTS) problems.push({ field: "name", description: `At most ${MAX_DOCUMENTS} documents.` });
      if (problems.length) throw { message: "", details: problems };
      const index = (state.info.documents || []).length;
      try {
        await saveProfile({ ...state.info, documents: [...(state.info.documents || []), doc] });
      } catch (err) {
        // The profile is checked as a whole: point errors about the new document at this form.
        const details = (err.details || []).map((d) => ({
          ...d, field: (d.field || "").replace(`businessInfo.documents[${index}].`, ""),
        }));
        throw { ...err, message: err.message, details, requestId: err.requestId };
      }
      state.done.add(1);
      form.reset();
      toast(`Added “${doc.name}”.`, "ok");
      renderList();
      retrain(statusBox);
    }
    onSubmit(form, addDocument);

    const next = h("button", {
      type: "button", class: "primary",
      onclick: async () => {
        const values = formValues(form);
        if ((values.content || "").trim() || (values.name || "").trim()) {
          clearErrors(form);
          next.disabled = true;
          try {
            await addDocument(values);
          } catch (err) {
            showErrors(form, err);
            return;
          } finally {
            next.disabled = false;
          }
        }
        go(2);
      },
    }, "Next");
    return h("div", null,
      h("p", { class: "muted" }, "The AI answers product and policy questions from these documents, and never invents facts they do not hold."),
      statusBox, list, form,
      nav(backButton(), h("span", { class: "spacer" }), skipButton(), next));
  }

  // Step 3: a channel.
  function channelStep() {
    const list = h("ul", { class: "channel-list", "aria-label": "Connected channels" });
    function renderList() {
      if (!state.integrations.length) {
        mount(list, h("li", { class: "muted" }, "No channel connected yet."));
        return;
      }
      mount(list, state.integrations.map((it) => h("li", null,
        badge(it.status || "connected", "ok"),
        h("strong", null, (PLATFORMS[it.platform] || { label: it.platform }).label),
        h("span", null, it.name || it.externalId),
        h("span", { class: "muted" }, `id ${it.externalId}${it.credentialsHint ? ` · token ${it.credentialsHint}` : ""}`))));
    }
    renderList();

    const platformField = field({ label: "Platform", name: "platform", type: "select", value: "facebook",
      options: [["facebook", "Facebook Messenger"], ["instagram", "Instagram"], ["whatsapp", "WhatsApp"]] });
    const idField = field({ label: "Page or account id", name: "externalId", required: true, autocomplete: "off" });
    const tokenField = field({ label: "Access token", name: "accessToken", type: "password", required: true, autocomplete: "off" });
    const nameField = field({ label: "Page name (optional)", name: "displayName", maxlength: 200 });
    const wabaField = field({ label: "WhatsApp Business account id", name: "wabaId", autocomplete: "off",
      help: "The WABA the number belongs to (Business settings → WhatsApp accounts)." });

    function setHelp(f, text) {
      f.querySelector(".help").textContent = text;
    }
    function syncPlatform() {
      const p = PLATFORMS[platformField.input.value];
      setHelp(idField, p.idHelp);
      setHelp(tokenField, `${p.tokenHelp} Stored encrypted; never shown again.`);
      nameField.querySelector("label").textContent = `${p.nameLabel} (optional)`;
      const wa = platformField.input.value === "whatsapp";
      wabaField.hidden = !wa;
      wabaField.input.disabled = !wa;
    }
    platformField.input.addEventListener("change", syncPlatform);
    syncPlatform();

    const form = h("form", { "aria-label": "Connect a channel" },
      h("div", { class: "field-grid" }, platformField, idField),
      tokenField,
      h("div", { class: "field-grid" }, nameField, wabaField),
      h("div", { class: "form-actions" }, h("button", { type: "submit" }, "Connect")));

    async function connect(values) {
      const platform = values.platform;
      const p = PLATFORMS[platform];
      const body = { platform, [p.id]: values.externalId.trim(), [p.token]: values.accessToken.trim() };
      if (values.displayName && values.displayName.trim()) body[p.name] = values.displayName.trim();
      if (platform === "whatsapp" && values.wabaId) body.wabaId = values.wabaId.trim();
      let created;
      try {
        created = await api.post("/api/v1/integrations", body);
      } catch (err) {
        const rename = { [p.id]: "externalId", [p.token]: "accessToken", [p.name]: "displayName" };
        let details = (err.details || []).map((d) => ({ ...d, field: rename[d.field] || d.field }));
        if (err.status === 409) details = [{ field: "externalId", description: "This id is already connected to a SalesOS workspace." }];
        throw { message: err.message, details, requestId: err.requestId };
      }
      state.integrations = [...state.integrations.filter((x) => x.id !== created.id), created];
      state.done.add(2);
      form.reset();
      syncPlatform();
      renderList();
      toast(`${p.label} connected.`, "ok");
    }
    onSubmit(form, connect);

    const finish = h("button", {
      type: "button", class: "primary",
      onclick: async () => {
        finish.disabled = true;
        clearErrors(panel);
        try {
          const values = formValues(form);
          if ((values.externalId || "").trim() && (values.accessToken || "").trim()) {
            try {
              await connect(values);
            } catch (err) {
              showErrors(form, err);
              return;
            }
          }
          const info = { ...state.info };
          if (!info.businessName && currentSession().workspace) info.businessName = currentSession().workspace.name;
          let answer;
          try {
            answer = await saveProfile(info);
          } catch (err) {
            // The profile is what was wrong: show it there.
            toast(err.message || String(err), "error");
            go(0);
            if (err.details) showErrors(body.querySelector("form"), err);
            return;
          }
          const s = currentSession();
          updateUser({ ...s.user, onboardingCompleted: answer.onboardingCompleted !== false });
          toast("Your workspace is set up.", "ok");
          ctx.navigate("/");
        } finally {
          finish.disabled = false;
        }
      },
    }, "Finish");
    return h("div", null,
      h("p", { class: "muted" }, "Connect where your customers write to you. You can add more channels later under Integrations."),
      list, form,
      nav(backButton(), h("span", { class: "spacer" }), finish));
  }

  go(0, false);
  const first = body.querySelector("input");
  if (first) first.focus();
  return () => { state.alive = false; };
}
