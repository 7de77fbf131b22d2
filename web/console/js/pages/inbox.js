// The inbox (#/inbox, #/inbox/<conversation id>): the conversations list with its filters, and the
// open conversation's thread with the agents' actions. REST: /api/v1/conversations[...] (docs/api.md
// "Conversations and the inbox", proto/salesos/conversation/v1/conversation.proto). Live over /ws
// (docs/realtime.md): conversation.created|updated and message.created|updated update the list and
// the thread in place; resync refetches both.
//
// On a phone's width the list and the thread share one column: an open thread replaces the list and
// has a Back link.

import { api, listAll, currentSession } from "../api.js";
import { h, mount, field, onSubmit, toast, modal, spinner, errorBox, badge, debounce, relativeTime, formatTime,
  formatMoney } from "../ui.js";
import { live } from "../live.js";
import { hasRole, refreshUnreadBadge } from "../app.js";

const STATUSES = [["active", "Active"], ["qualified", "Qualified"], ["converted", "Converted"], ["closed", "Closed"], ["archived", "Archived"]];
const PLATFORMS = [["facebook", "Messenger"], ["instagram", "Instagram"], ["whatsapp", "WhatsApp"]];
const PLATFORM_LABEL = Object.fromEntries(PLATFORMS);
const SENDER_LABEL = { customer: "Customer", ai: "AI", agent: "Agent", system: "Automated" };
const TICKS = {
  pending: ["○", "Queued"],
  sent: ["✓", "Sent"],
  delivered: ["✓✓", "Delivered"],
  read: ["✓✓", "Read"],
  failed: ["!", "Not delivered"],
};
const CURRENCY_DIGITS = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0 };

// Kept while the console is open, so moving between the list and a thread is instant.
const cache = {
  filters: { status: "", handler: "", assignedTo: "", campaignId: "", platform: "", q: "" },
  filtersOpen: false,
  conversations: null,
  nextPageToken: "",
  listScroll: 0,
  contacts: new Map(),
  members: null,
  campaigns: null,
};

function filtersActive(f = cache.filters) {
  return Object.values(f).some(Boolean);
}

function byActivity(a, b) {
  return String(b.lastMessageAt || b.updatedAt || "").localeCompare(String(a.lastMessageAt || a.updatedAt || ""));
}

function contactName(contact, conv) {
  if (contact) {
    const full = contact.fullName || `${contact.firstName || ""} ${contact.lastName || ""}`.trim();
    if (full) return full;
    if (contact.email) return contact.email;
    if (contact.phone) return contact.phone;
    if (contact.platformUserId) return `${PLATFORM_LABEL[contact.platform] || "Customer"} ${contact.platformUserId}`;
  }
  return `Customer ${String(conv ? conv.contactId : "").slice(-8)}`;
}

function messagePreview(m) {
  if (!m) return "No messages yet";
  const who = m.sender === "customer" ? "" : `${SENDER_LABEL[m.sender] || m.sender}: `;
  return who + (m.content || (m.type ? `[${m.type}]` : ""));
}

function statusKind(s) {
  return { active: "info", qualified: "warn", converted: "ok", closed: "", archived: "" }[s] || "";
}

function attachmentsOf(m) {
  if (!m.attachments || m.attachments === "[]") return [];
  try {
    const list = JSON.parse(m.attachments);
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

function safeUrl(u) {
  try {
    const url = new URL(String(u));
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : "";
  } catch {
    return "";
  }
}

export async function inbox(root, ctx) {
  const openId = ctx.params.id || "";
  const canAct = hasRole("agent");
  const me = (currentSession() && currentSession().user) || {};
  let alive = true;
  let conversations = (cache.conversations || []).slice();
  let thread = null;
  const offs = [];

  document.title = "Inbox · SalesOS";

  // ---- Layout ---------------------------------------------------------------------------------
  const list = h("ul", { class: "conv-list", "aria-label": "Conversations" });
  const listStatus = h("div", { class: "conv-list-status" });
  const moreBox = h("div", { class: "conv-more" });
  const listScroller = h("div", { class: "conv-scroll" }, listStatus, list, moreBox);
  const filterCount = h("span", { class: "filter-count" });
  const filters = buildFilters();
  const listPane = h("section", { class: "conv-pane", "aria-label": "Conversation list" },
    h("div", { class: "conv-pane-head" }, h("h1", null, "Inbox"), filterCount),
    filters, listScroller);
  const threadPane = h("section", { class: "thread-pane", "aria-label": "Conversation" });
  const layout = h("div", { class: ["inbox", openId && "has-thread"] }, listPane, threadPane);
  mount(root, layout);

  // ---- Filters --------------------------------------------------------------------------------
  function buildFilters() {
    const f = cache.filters;
    const search = field({ label: "Search", name: "q", type: "search", value: f.q, placeholder: "Name, id or message text",
      oninput: debounce((ev) => setFilter("q", ev.target.value.trim()), 350) });
    search.classList.add("conv-search");
    const select = (label, key, options) => field({ label, name: key, type: "select", value: f[key],
      options: [["", "All"], ...options], onchange: (ev) => setFilter(key, ev.target.value) });
    const assigned = select("Assigned to", "assignedTo", [["me", "Me"], ["none", "Nobody"]]);
    const campaign = select("Campaign", "campaignId", []);
    const details = h("details", { class: "conv-filters", open: cache.filtersOpen, ontoggle: (ev) => { cache.filtersOpen = ev.target.open; } },
      h("summary", null, "Filters"),
      h("div", { class: "conv-filter-grid" },
        select("Status", "status", STATUSES),
        select("Handled by", "handler", [["ai", "AI"], ["agent", "Agents"]]),
        assigned, campaign,
        select("Platform", "platform", PLATFORMS)),
      h("button", { type: "button", class: "link", onclick: () => clearFilters() }, "Clear filters"));
    // Members and campaigns fill their selects once known.
    loadMembers().then(() => {
      if (!alive || !cache.members) return;
      const sel = assigned.input;
      for (const m of cache.members) {
        if (m.id === me.id) continue;
        sel.append(h("option", { value: m.id, selected: cache.filters.assignedTo === m.id }, m.name || m.email));
      }
    });
    loadCampaigns().then(() => {
      if (!alive || !cache.campaigns) return;
      for (const c of cache.campaigns) {
        campaign.input.append(h("option", { value: c.id, selected: cache.filters.campaignId === c.id }, c.name));
      }
    });
    return h("div", { class: "conv-filter-box" }, search, details);
  }

  function showFilterCount() {
    const n = Object.entries(cache.filters).filter(([k, v]) => v && k !== "q").length;
    filterCount.textContent = n ? `${n} filter${n === 1 ? "" : "s"}` : "";
    const summary = filters.querySelector("summary");
    summary.textContent = n ? `Filters (${n})` : "Filters";
  }

  function setFilter(key, value) {
    if (cache.filters[key] === value) return;
    cache.filters = { ...cache.filters, [key]: value };
    showFilterCount();
    loadList(true);
  }

  function clearFilters() {
    cache.filters = { status: "", handler: "", assignedTo: "", campaignId: "", platform: "", q: "" };
    for (const el of filters.querySelectorAll("select, input")) el.value = "";
    showFilterCount();
    loadList(true);
  }

  function matches(c) {
    const f = cache.filters;
    if (f.status && c.status !== f.status) return false;
    if (f.handler && c.handler !== f.handler) return false;
    if (f.platform && c.platform !== f.platform) return false;
    if (f.campaignId && c.campaignId !== f.campaignId) return false;
    if (f.assignedTo === "me" && c.assignedAgentId !== me.id) return false;
    if (f.assignedTo === "none" && c.assignedAgentId) return false;
    if (f.assignedTo && !["me", "none"].includes(f.assignedTo) && c.assignedAgentId !== f.assignedTo) return false;
    return true;
  }

  // ---- Data -----------------------------------------------------------------------------------
  async function loadMembers() {
    if (cache.members) return;
    try {
      cache.members = await listAll("/api/v1/workspace/members", "members", {}, 500);
    } catch {
      cache.members = null;
    }
  }

  async function loadCampaigns() {
    if (cache.campaigns) return;
    try {
      cache.campaigns = await listAll("/api/v1/campaigns", "campaigns", {}, 500);
    } catch {
      cache.campaigns = null;
    }
  }

  function memberName(id) {
    if (!id) return "";
    if (id === me.id) return "you";
    const m = (cache.members || []).find((x) => x.id === id);
    return m ? m.name || m.email : "a former member";
  }

  function campaignName(id) {
    const c = (cache.campaigns || []).find((x) => x.id === id);
    return c ? c.name : "";
  }

  const pendingContacts = new Set();
  async function ensureContacts(ids) {
    const missing = [...new Set(ids)].filter((id) => id && !cache.contacts.has(id) && !pendingContacts.has(id));
    if (!missing.length) return;
    missing.forEach((id) => pendingContacts.add(id));
    await Promise.all(missing.map(async (id) => {
      try {
        cache.contacts.set(id, await api.get(`/api/v1/contacts/${encodeURIComponent(id)}`));
      } catch {
        cache.contacts.set(id, null);
      } finally {
        pendingContacts.delete(id);
      }
    }));
    if (!alive) return;
    renderList();
    if (thread) thread.renderHead();
  }

  let listSeq = 0;
  async function loadList(showSpinner = false, append = false) {
    const seq = ++listSeq;
    if (showSpinner && !append) mount(listStatus, spinner());
    const f = cache.filters;
    try {
      const page = await api.get("/api/v1/conversations", {
        status: f.status, handler: f.handler, assignedTo: f.assignedTo, campaignId: f.campaignId, platform: f.platform,
        q: f.q, pageSize: 50, pageToken: append ? cache.nextPageToken : "",
      });
      if (!alive || seq !== listSeq) return;
      const got = page.conversations || [];
      conversations = append ? [...conversations, ...got.filter((c) => !conversations.some((x) => x.id === c.id))] : got;
      cache.nextPageToken = page.nextPageToken || "";
      mount(listStatus);
      renderList();
      ensureContacts(conversations.map((c) => c.contactId));
      updateBadge();
    } catch (err) {
      if (alive && seq === listSeq) mount(listStatus, errorBox(err));
    }
  }

  // The nav badge: conversations with unread customer messages (all of them, not just the filtered).
  // The nav badge counts every unread conversation, whatever the filters show (app.js).
  function updateBadge() {
    refreshUnreadBadge();
  }

  // ---- The list -------------------------------------------------------------------------------
  function renderList() {
    cache.conversations = conversations;
    const focusedId = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.conv : "";
    conversations.sort(byActivity);
    if (!conversations.length) {
      mount(list, h("li", { class: "empty" }, filtersActive()
        ? ["No conversations match these filters. ", h("button", { type: "button", class: "link", onclick: clearFilters }, "Clear filters")]
        : "No conversations yet. When a customer writes to a connected channel, the conversation appears here."));
    } else {
      mount(list, conversations.map((c) => {
        const contact = cache.contacts.get(c.contactId);
        const unread = Number(c.unreadCount || 0);
        return h("li", null, h("a", {
          class: ["conv-item", unread > 0 && "unread"], href: `#/inbox/${encodeURIComponent(c.id)}`,
          "aria-current": c.id === openId ? "true" : null, dataset: { conv: c.id },
        },
        h("span", { class: "conv-top" },
          h("span", { class: "conv-name" }, contactName(contact, c)),
          h("time", { class: "conv-time", datetime: c.lastMessageAt || "", title: formatTime(c.lastMessageAt) }, relativeTime(c.lastMessageAt))),
        h("span", { class: "conv-last" }, messagePreview(c.lastMessage)),
        h("span", { class: "conv-meta" },
          badge(PLATFORM_LABEL[c.platform] || c.platform || "?"),
          badge(c.handler === "agent" ? "Agent" : "AI", c.handler === "agent" ? "warn" : "info"),
          c.status !== "active" ? badge(c.status, statusKind(c.status)) : null,
          unread ? h("span", { class: "unread-count", "aria-label": `${unread} unread` }, String(unread)) : null)));
      }));
    }
    mount(moreBox, cache.nextPageToken
      ? h("button", { type: "button", onclick: () => loadList(false, true) }, "Load more conversations") : null);
    if (focusedId) {
      const again = list.querySelector(`[data-conv="${CSS.escape(focusedId)}"]`);
      if (again) again.focus();
    }
  }

  function upsert(c) {
    if (!c || !c.id) return;
    const i = conversations.findIndex((x) => x.id === c.id);
    if (cache.filters.q) {
      // The search needs the server (names, message text): refetch, but show changes meanwhile.
      if (i >= 0) conversations[i] = { ...conversations[i], ...c };
      reloadSoon();
    } else if (matches(c)) {
      if (i >= 0) conversations[i] = { ...conversations[i], ...c };
      else conversations.unshift(c);
    } else if (i >= 0) {
      conversations.splice(i, 1);
    }
    renderList();
    ensureContacts([c.contactId]);
    updateBadge();
    if (thread && c.id === thread.id) thread.setConversation(c);
  }
  const reloadSoon = debounce(() => { if (alive) loadList(); }, 500);

  const fetching = new Set();
  async function fetchConversation(id) {
    if (fetching.has(id)) return;
    fetching.add(id);
    try {
      upsert(await api.get(`/api/v1/conversations/${encodeURIComponent(id)}`));
    } catch {
      // Gone or not ours: nothing to show.
    } finally {
      fetching.delete(id);
    }
  }

  // ---- Live -----------------------------------------------------------------------------------
  offs.push(live.on("conversation.created", (ev) => upsert(ev.data)));
  offs.push(live.on("conversation.updated", (ev) => upsert(ev.data)));
  offs.push(live.on("message.created", (ev) => {
    const m = ev.data || {};
    const convId = m.conversationId || ev.conversationId;
    const c = conversations.find((x) => x.id === convId);
    if (c) {
      if (!c.lastMessage || String(m.createdAt || "") >= String(c.lastMessage.createdAt || "")) {
        c.lastMessage = m;
        if (String(m.createdAt || "") > String(c.lastMessageAt || "")) c.lastMessageAt = m.createdAt;
      }
      renderList();
    } else if (convId) {
      fetchConversation(convId);
    }
    if (thread && convId === thread.id) thread.addMessage(m);
  }));
  offs.push(live.on("message.updated", (ev) => {
    const m = ev.data || {};
    const convId = m.conversationId || ev.conversationId;
    const c = conversations.find((x) => x.id === convId);
    if (c && c.lastMessage && c.lastMessage.id === m.id) {
      c.lastMessage = m;
      renderList();
    }
    if (thread && convId === thread.id) thread.updateMessage(m);
  }));
  offs.push(live.on("resync", () => {
    loadList();
    if (thread) thread.reload();
  }));

  // ---- The thread -----------------------------------------------------------------------------
  function openThread(id) {
    const state = { id, conv: null, messages: [], hasMore: false, loadingOlder: false };
    const head = h("header", { class: "thread-head" });
    const info = h("div", { class: "thread-info" });
    const older = h("div", { class: "thread-older" });
    const log = h("ol", { class: "messages", role: "log", "aria-label": "Messages", "aria-live": "polite" });
    const scroller = h("div", { class: "thread-scroll" }, older, log);
    const replyBox = h("div", { class: "reply-box" });
    const el = h("div", { class: "thread" }, head, info, scroller, replyBox);
    mount(threadPane, el);

    const markRead = debounce(async () => {
      if (!alive || !canAct || document.visibilityState !== "visible") return;
      try {
        upsert(await api.post(`/api/v1/conversations/${encodeURIComponent(id)}/read`, {}));
      } catch {
        // Read marks are best effort.
      }
    }, 400);

    function nearBottom() {
      return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    }
    function toBottom() {
      scroller.scrollTop = scroller.scrollHeight;
    }

    function messageItem(m) {
      const mine = m.sender !== "customer";
      const tick = mine && TICKS[m.deliveryStatus];
      const atts = attachmentsOf(m);
      return h("li", { class: ["msg", `msg-${m.sender}`, mine && "msg-out"], dataset: { id: m.id, sender: m.sender } },
        h("div", { class: "bubble" },
          m.content ? h("p", { class: "msg-text" }, m.content) : null,
          atts.length ? h("ul", { class: "msg-attachments" }, atts.map((a, i) => {
            const url = safeUrl(a && a.payload && a.payload.url);
            const label = `${(a && a.type) || "attachment"} ${i + 1}`;
            return h("li", null, url ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, `Open ${label}`) : label);
          })) : null,
          !m.content && !atts.length ? h("p", { class: "msg-text muted" }, `[${m.type || "message"}]`) : null),
        h("div", { class: "msg-meta" },
          h("span", { class: "msg-sender" }, SENDER_LABEL[m.sender] || m.sender),
          h("time", { datetime: m.createdAt, title: formatTime(m.createdAt) },
            m.createdAt ? new Date(m.createdAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : ""),
          tick ? h("span", { class: ["tick", `tick-${m.deliveryStatus}`], title: tick[1], dataset: { status: m.deliveryStatus } },
            h("span", { "aria-hidden": "true" }, tick[0]), h("span", { class: "sr-only" }, tick[1])) : null),
        m.deliveryStatus === "failed" && m.error ? h("div", { class: "msg-error" }, `Not delivered: ${m.error}`) : null);
    }

    function renderMessages() {
      if (!state.messages.length) {
        mount(log, h("li", { class: "empty" }, "No messages yet."));
      } else {
        mount(log, state.messages.map(messageItem));
      }
      mount(older, state.hasMore ? h("button", { type: "button", class: "link", onclick: loadOlder }, "Load earlier messages") : null);
    }

    function addMessage(m) {
      if (!m || !m.id) return;
      const i = state.messages.findIndex((x) => x.id === m.id);
      const stick = nearBottom();
      if (i >= 0) {
        state.messages[i] = m;
        log.querySelector(`[data-id="${CSS.escape(m.id)}"]`)?.replaceWith(messageItem(m));
        return;
      }
      state.messages.push(m);
      state.messages.sort((a, b) => (Number(a.platformTimestampMs || 0) - Number(b.platformTimestampMs || 0)) ||
        String(a.createdAt || "").localeCompare(String(b.createdAt || "")) || String(a.id).localeCompare(String(b.id)));
      renderMessages();
      if (stick || m.sender !== "customer") toBottom();
      if (m.sender === "customer") markRead();
    }

    function updateMessage(m) {
      const i = state.messages.findIndex((x) => x.id === m.id);
      if (i < 0) {
        addMessage(m);
        return;
      }
      state.messages[i] = { ...state.messages[i], ...m };
      const li = log.querySelector(`[data-id="${CSS.escape(m.id)}"]`);
      if (li) li.replaceWith(messageItem(state.messages[i]));
    }

    async function loadOlder() {
      if (state.loadingOlder || !state.messages.length) return;
      state.loadingOlder = true;
      const before = state.messages[0].id;
      const height = scroller.scrollHeight;
      try {
        const page = await api.get(`/api/v1/conversations/${encodeURIComponent(id)}/messages`, { pageSize: 50, before });
        if (!alive) return;
        const known = new Set(state.messages.map((m) => m.id));
        state.messages = [...(page.messages || []).filter((m) => !known.has(m.id)), ...state.messages];
        state.hasMore = Boolean(page.hasMore);
        renderMessages();
        scroller.scrollTop = scroller.scrollHeight - height;
      } catch (err) {
        toast(err.message, "error");
      } finally {
        state.loadingOlder = false;
      }
    }

    async function act(button, fn, done) {
      button.disabled = true;
      try {
        const c = await fn();
        if (c && c.id) upsert(c);
        if (done) toast(done, "ok");
      } catch (err) {
        toast(err.message || String(err), "error");
      } finally {
        button.disabled = false;
      }
    }

    const path = (suffix) => `/api/v1/conversations/${encodeURIComponent(id)}/${suffix}`;

    function actions(c) {
      if (!canAct) return null;
      const out = [];
      if (c.handler !== "agent" || c.assignedAgentId !== me.id) {
        const b = h("button", { type: "button", class: "primary", onclick: () => act(b, async () => {
          let conv = c;
          if (c.handler !== "agent") conv = await api.post(path("handoff"), { reason: `taken over by ${me.name || "an agent"}`.slice(0, 200) });
          if (conv.assignedAgentId !== me.id) conv = await api.post(path("assign"), { agentId: me.id });
          return conv;
        }, "You have this conversation; the AI stays quiet.") }, "Hand off to me");
        out.push(b);
      }
      if (c.handler === "agent") {
        const b = h("button", { type: "button", onclick: () => act(b, () => api.post(path("resume-ai"), {}), "The AI handles this conversation again.") }, "Resume AI");
        out.push(b);
      }
      const setStatus = (label, status, note) => {
        const b = h("button", { type: "button", onclick: () => act(b, () => api.post(path("status"), { status }), note) }, label);
        return b;
      };
      if (c.status === "active" || c.status === "qualified") out.push(setStatus("Close", "closed", "Conversation closed."));
      if (c.status === "closed" || c.status === "archived") out.push(setStatus("Reopen", "active", "Conversation reopened."));
      if (c.status === "active") out.push(setStatus("Mark qualified", "qualified", "Marked qualified."));
      if (c.status !== "archived") out.push(setStatus("Archive", "archived", "Conversation archived."));
      if (!(c.conversion && c.conversion.converted)) {
        out.push(h("button", { type: "button", onclick: () => recordConversion() }, "Record conversion"));
      }
      return h("div", { class: "thread-actions" }, out, assignForm(c));
    }

    function assignForm(c) {
      const options = [["", "Nobody"], ...((cache.members || []).map((m) => [m.id, m.id === me.id ? `${m.name} (you)` : m.name || m.email]))];
      if (c.assignedAgentId && !options.some(([v]) => v === c.assignedAgentId)) options.push([c.assignedAgentId, "a former member"]);
      const f = field({ label: "Assign to", name: "agentId", type: "select", value: c.assignedAgentId || "", options });
      f.classList.add("inline-field");
      const form = h("form", { class: "assign-form" }, f, h("button", { type: "submit" }, "Assign"));
      onSubmit(form, async (v) => {
        upsert(await api.post(path("assign"), { agentId: v.agentId }));
        toast(v.agentId ? `Assigned to ${memberName(v.agentId)}.` : "Unassigned.", "ok");
      });
      return form;
    }

    function recordConversion() {
      const currency = (state.conv && state.conv.conversion && state.conv.conversion.currency) || "USD";
      let m;
      const form = h("form", { class: "conversion-form" },
        field({ label: "Order value", name: "orderValue", type: "number", required: true, min: 0, step: "0.01",
          help: "In the currency's major unit, e.g. 49.99." }),
        field({ label: "Currency", name: "currency", value: currency, required: true, maxlength: 3,
          help: "ISO 4217 code, e.g. USD, EUR, INR." }),
        field({ label: "Order details", name: "orderDetails", type: "textarea", rows: 3, maxlength: 2000 }),
        h("div", { class: "form-actions" },
          h("button", { type: "button", onclick: () => m.close() }, "Cancel"),
          h("button", { type: "submit", class: "primary" }, "Record conversion")));
      onSubmit(form, async (v) => {
        const code = String(v.currency || "").trim().toUpperCase();
        const digits = CURRENCY_DIGITS[code] ?? 2;
        const value = Number(v.orderValue);
        if (!Number.isFinite(value) || value < 0) throw { message: "", details: [{ field: "orderValue", description: "Enter the order's value." }] };
        if (Math.round(value * 10 ** digits) !== Math.round(value * 10 ** digits * 1e6) / 1e6) {
          throw { message: "", details: [{ field: "orderValue", description: `At most ${digits} decimals in ${code}.` }] };
        }
        const c = await api.post(path("conversion"), { orderValue: value, currency: code, orderDetails: v.orderDetails || "" });
        upsert(c);
        m.close(true);
        toast(`Conversion recorded: ${formatMoney(Math.round(value * 10 ** digits), code)}.`, "ok");
      });
      m = modal({ title: "Record conversion", body: form });
      form.querySelector("input").focus();
    }

    function renderHead() {
      const c = state.conv;
      if (!c) return;
      const contact = cache.contacts.get(c.contactId);
      const name = contactName(contact, c);
      document.title = `${name} · Inbox · SalesOS`;
      const conv = c.conversion && c.conversion.converted ? c.conversion : null;
      // Re-rendering the actions keeps the keyboard focus on the same control when it still exists.
      const focused = head.contains(document.activeElement) ? document.activeElement : null;
      const focusKey = focused ? `${focused.tagName}|${focused.name || ""}|${focused.textContent}` : "";
      mount(head,
        h("a", { class: "back-link", href: "#/inbox" }, "← Back", h("span", { class: "sr-only" }, " to the conversations")),
        h("div", { class: "thread-title" },
          h("h2", null, name),
          h("p", { class: "thread-sub" },
            badge(PLATFORM_LABEL[c.platform] || c.platform),
            badge(c.status, statusKind(c.status)),
            badge(c.handler === "agent" ? "Agents handle it" : "AI handles it", c.handler === "agent" ? "warn" : "info"),
            h("span", { class: "muted" }, c.assignedAgentId ? ` Assigned to ${memberName(c.assignedAgentId)}` : " Unassigned"),
            c.leadScore ? h("span", { class: "muted" }, ` · lead score ${c.leadScore}`) : null,
            c.campaignId && campaignName(c.campaignId)
              ? [h("span", { class: "muted" }, " · "), h("a", { href: `#/campaigns/${encodeURIComponent(c.campaignId)}` }, campaignName(c.campaignId))]
              : null)),
        actions(c));
      if (focusKey) {
        const again = [...head.querySelectorAll("button, select, a")]
          .find((x) => `${x.tagName}|${x.name || ""}|${x.textContent}` === focusKey);
        if (again) again.focus();
      }
      const notes = [];
      if (conv) notes.push(h("p", null, badge("converted", "ok"), ` ${formatMoney(Math.round(Number(conv.orderValue || 0) * 10 ** (CURRENCY_DIGITS[conv.currency] ?? 2)), conv.currency || "USD")}`,
        conv.orderDetails ? ` · ${conv.orderDetails}` : "", conv.convertedAt ? h("span", { class: "muted" }, ` · ${formatTime(conv.convertedAt)}`) : null));
      if (c.handler === "agent" && c.handoffReason) notes.push(h("p", null, h("strong", null, "Handed off: "), c.handoffReason.replace(/_/g, " ")));
      if (c.aiContext && c.aiContext.summary) notes.push(h("p", null, h("strong", null, "AI summary: "), c.aiContext.summary));
      if (c.aiContext && c.aiContext.nextAction) notes.push(h("p", { class: "muted" }, `Next: ${c.aiContext.nextAction}`));
      if (c.windowExpiresAt) {
        const open = new Date(c.windowExpiresAt).getTime() > Date.now();
        notes.push(h("p", { class: open ? "muted" : "window-closed" }, open
          ? `You can reply freely until ${formatTime(c.windowExpiresAt)}.`
          : `The 24-hour reply window closed ${relativeTime(c.windowExpiresAt)}; the platform refuses free-form replies until the customer writes again.`));
      }
      mount(info, notes.length ? h("details", { class: "thread-notes", open: Boolean(conv) || c.handler === "agent" }, h("summary", null, "Details"), notes) : null);
    }

    // Read receipts by watermark (Messenger) move many messages without a message.updated each;
    // screens learn of them with the conversation's next update (services/conversation/README.md),
    // so an update of the open conversation refetches its newest messages.
    const refreshMessages = debounce(async () => {
      if (!alive || !state.loaded) return;
      try {
        const page = await api.get(`/api/v1/conversations/${encodeURIComponent(id)}/messages`, { pageSize: 50 });
        if (!alive) return;
        for (const m of page.messages || []) {
          const old = state.messages.find((x) => x.id === m.id);
          if (!old) addMessage(m);
          else if (old.deliveryStatus !== m.deliveryStatus || old.error !== m.error || old.content !== m.content) updateMessage(m);
        }
      } catch {
        // The next update tries again.
      }
    }, 700);

    function setConversation(c) {
      state.conv = { ...(state.conv || {}), ...c };
      if (c.lastMessage) {
        const i = state.messages.findIndex((x) => x.id === c.lastMessage.id);
        if (i < 0 && state.loaded) addMessage(c.lastMessage);
      }
      renderHead();
      refreshMessages();
    }

    function renderReply() {
      if (!canAct) {
        mount(replyBox, h("p", { class: "muted read-only" }, "You can read this conversation; replying needs the agent role."));
        return;
      }
      const reply = field({ label: "Reply", name: "content", type: "textarea", rows: 2, required: true, maxlength: 4096,
        placeholder: "Write a reply… (Ctrl+Enter sends)" });
      const form = h("form", { class: "reply-form", "aria-label": "Send a message" },
        reply, h("button", { type: "submit", class: "primary" }, "Send"));
      reply.input.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
          ev.preventDefault();
          form.requestSubmit();
        }
      });
      onSubmit(form, async (v) => {
        const content = (v.content || "").trim();
        if (!content) throw { message: "", details: [{ field: "content", description: "Write something first." }] };
        const m = await api.post(path("messages"), { content });
        reply.input.value = "";
        addMessage(m);
        toBottom();
        reply.input.focus();
        if (state.conv && state.conv.handler !== "agent") setConversation({ handler: "agent" });
      });
      mount(replyBox, form);
    }

    async function reload() {
      try {
        const [c, page] = await Promise.all([
          api.get(`/api/v1/conversations/${encodeURIComponent(id)}`),
          api.get(`/api/v1/conversations/${encodeURIComponent(id)}/messages`, { pageSize: 50 }),
        ]);
        if (!alive) return;
        state.conv = c;
        const fresh = page.messages || [];
        const freshIds = new Set(fresh.map((m) => m.id));
        // Keep what live events added meanwhile.
        state.messages = [...fresh, ...state.messages.filter((m) => !freshIds.has(m.id) &&
          String(m.createdAt || "") > String((fresh[fresh.length - 1] || {}).createdAt || ""))];
        state.hasMore = Boolean(page.hasMore);
        state.loaded = true;
        renderHead();
        renderMessages();
        toBottom();
        ensureContacts([c.contactId]);
        if (c.unreadCount > 0) markRead();
        if (!conversations.some((x) => x.id === c.id) && matches(c)) upsert(c);
      } catch (err) {
        if (!alive) return;
        mount(threadPane, h("div", { class: "thread-error" },
          h("a", { class: "back-link", href: "#/inbox" }, "← Back"),
          err.status === 404 ? h("p", { class: "empty" }, "This conversation does not exist (or no longer does).") : errorBox(err)));
      }
    }

    mount(head, h("a", { class: "back-link", href: "#/inbox" }, "← Back"), spinner("Loading the conversation…"));
    renderReply();
    const api_ = { id, el, addMessage, updateMessage, setConversation, renderHead, reload, loaded: () => state.loaded };
    return api_;
  }

  // ---- Start ----------------------------------------------------------------------------------
  showFilterCount();
  if (cache.conversations) {
    renderList();
    listScroller.scrollTop = cache.listScroll;
  } else {
    mount(listStatus, spinner());
  }
  if (openId) {
    thread = openThread(openId);
    await Promise.all([loadList(), loadMembers().then(loadCampaigns), thread.reload()]);
    if (thread) thread.renderHead();
  } else {
    mount(threadPane, h("div", { class: "thread-empty" },
      h("p", null, "Select a conversation to read it."),
      h("p", { class: "muted" }, canAct ? "Reply, hand it off, assign it or record a sale from there." : "You have read-only access to conversations.")));
    await loadList();
  }
  const stash = () => { cache.listScroll = listScroller.scrollTop; };
  listScroller.addEventListener("scroll", stash, { passive: true });

  return () => {
    alive = false;
    stash();
    offs.forEach((off) => off());
  };
}
