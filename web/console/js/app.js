// The console's shell: hash routes (#/inbox/<id>?status=open), the sign-in guard, the navigation
// and the live feed's lifetime. Pages are modules in ./pages/, loaded when first visited:
//
//   export async function list(root, ctx) { ... return () => cleanup(); }
//
// ctx: {params, query, session, navigate(path), refreshNav()}. A page renders into `root`, may
// subscribe to live events, and returns a function that undoes its subscriptions and timers.

import { currentSession, onSession, onSignedOut, signOut, api, updateUser } from "./api.js";
import { h, mount, errorBox, spinner, toast } from "./ui.js";
import { live } from "./live.js";

const RANK = { viewer: 1, agent: 2, admin: 3, owner: 4, superadmin: 5 };

// path pattern, page module, its export, whether it needs no session, nav label, least role.
export const ROUTES = [
  { path: "/login", module: "auth", view: "login", anonymous: true },
  { path: "/signup", module: "auth", view: "signup", anonymous: true },
  { path: "/onboarding", module: "onboarding", view: "wizard", bare: true },
  { path: "/", module: "dashboard", view: "dashboard", nav: "Dashboard" },
  { path: "/inbox", module: "inbox", view: "inbox", nav: "Inbox" },
  { path: "/inbox/:id", module: "inbox", view: "inbox" },
  { path: "/campaigns", module: "campaigns", view: "list", nav: "Campaigns" },
  { path: "/campaigns/new", module: "campaigns", view: "edit", role: "admin" },
  { path: "/campaigns/:id", module: "campaigns", view: "edit" },
  { path: "/broadcasts/:id", module: "campaigns", view: "broadcast" },
  { path: "/contacts", module: "contacts", view: "list", nav: "Contacts" },
  { path: "/segments", module: "segments", view: "list", nav: "Segments" },
  { path: "/segments/new", module: "segments", view: "edit", role: "agent" },
  { path: "/segments/:id", module: "segments", view: "edit" },
  { path: "/automations", module: "automations", view: "list", nav: "Automations" },
  { path: "/automations/new", module: "automations", view: "edit", role: "admin" },
  { path: "/automations/:id", module: "automations", view: "edit" },
  { path: "/integrations", module: "integrations", view: "integrations", nav: "Integrations" },
  { path: "/members", module: "members", view: "members", nav: "Team" },
  { path: "/ai", module: "ai_settings", view: "aiSettings", nav: "AI settings", role: "admin" },
  { path: "/webhooks", module: "webhooks", view: "webhooks", nav: "Webhooks", role: "admin" },
  { path: "/data", module: "data", view: "dataManager", nav: "Data manager", role: "admin" },
  { path: "/account", module: "account", view: "account" },
];

export function hasRole(min, session = currentSession()) {
  const role = session && session.user ? session.user.role : "";
  return (RANK[role] || 0) >= (RANK[min] || 0);
}

export function navigate(path, { replace = false } = {}) {
  const target = `#${path.startsWith("/") ? path : `/${path}`}`;
  if (location.hash === target) {
    render();
  } else if (replace) {
    location.replace(target);
  } else {
    location.hash = target;
  }
}

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, qs = ""] = raw.split("?");
  return { path: path || "/", query: Object.fromEntries(new URLSearchParams(qs)) };
}

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const r of ROUTES) {
    const pat = r.path.split("/").filter(Boolean);
    if (pat.length !== parts.length) continue;
    const params = {};
    let ok = true;
    pat.forEach((p, i) => {
      if (p.startsWith(":")) params[p.slice(1)] = decodeURIComponent(parts[i]);
      else if (p !== parts[i]) ok = false;
    });
    if (ok) return { route: r, params };
  }
  return null;
}

const app = document.getElementById("app");
let cleanup = null;
let shell = null;  // {root, main, nav, status}
let renderSeq = 0;
const navBadges = {};

// Sets (or clears, with 0) the small count beside a nav entry ("/inbox": unread conversations).
export function setNavBadge(path, count) {
  navBadges[path] = count;
  if (!shell) return;
  const el = shell.nav.querySelector(`[data-path="${path}"] .nav-badge`);
  if (el) {
    el.textContent = count ? String(count) : "";
    el.hidden = !count;
  }
}

// The inbox's nav badge: conversations with unread messages (the first 100; "100+" beyond), kept
// current from the live feed on every page.
const UNREAD_PAGE = 100;
let unreadTimer = 0;
export function refreshUnreadBadge() {
  clearTimeout(unreadTimer);
  unreadTimer = setTimeout(async () => {
    if (!currentSession()) return;
    try {
      const page = await api.get("/api/v1/conversations", { pageSize: UNREAD_PAGE });
      const unread = (page.conversations || []).filter((c) => c.unreadCount > 0).length;
      setNavBadge("/inbox", unread >= UNREAD_PAGE && page.nextPageToken ? `${UNREAD_PAGE}+` : unread);
    } catch {
      // The badge waits for the next change.
    }
  }, 500);
}
for (const type of ["conversation.created", "conversation.updated", "message.created", "resync"]) {
  live.on(type, refreshUnreadBadge);
}

function buildShell(session) {
  const status = h("span", { class: "live-status", dataset: { state: live.state }, title: "Live updates" },
    h("span", { class: "dot", "aria-hidden": "true" }), h("span", { class: "sr-only" }, "Live updates: "),
    h("span", { class: "label" }, live.state));
  const navList = h("ul", null);
  const nav = h("nav", { id: "nav", class: "nav", "aria-label": "Main" }, navList);
  const toggle = h("button", {
    class: "nav-toggle icon", type: "button", "aria-controls": "nav", "aria-expanded": "false",
    "aria-label": "Menu",
    onclick: () => {
      const open = !document.body.classList.contains("nav-open");
      document.body.classList.toggle("nav-open", open);
      toggle.setAttribute("aria-expanded", String(open));
    },
  }, "☰");
  const userName = h("span", { class: "user-name" });
  const root = h("div", { class: "shell" },
    h("header", { class: "topbar" },
      toggle,
      h("a", { class: "brand", href: "#/" }, h("img", { src: document.querySelector("link[rel=icon]").href, alt: "", width: 24, height: 24 }), "SalesOS"),
      h("span", { class: "workspace-name" }),
      status,
      h("div", { class: "user-menu" }, userName,
        h("a", { href: "#/account", class: "button" }, "Account"),
        h("button", { type: "button", onclick: async () => { live.stop(); await signOut(); navigate("/login"); } }, "Sign out"))),
    nav,
    h("main", { id: "main", tabindex: "-1" }));
  shell = { root, main: root.querySelector("main"), nav, navList, status, userName };
  fillShell(session);
  refreshUnreadBadge();
  return shell;
}

function fillShell(session) {
  if (!shell || !session) return;
  shell.root.querySelector(".workspace-name").textContent = session.workspace ? session.workspace.name : "";
  shell.userName.textContent = session.user ? `${session.user.name} · ${session.user.role}` : "";
  mount(shell.navList, ROUTES.filter((r) => r.nav && hasRole(r.role || "viewer", session)).map((r) =>
    h("li", { dataset: { path: r.path } },
      h("a", { href: `#${r.path}` }, r.nav,
        h("span", { class: "nav-badge", hidden: !navBadges[r.path] }, navBadges[r.path] ? String(navBadges[r.path]) : "")))));
}

function markCurrent(path) {
  if (!shell) return;
  for (const li of shell.nav.querySelectorAll("li")) {
    const p = li.dataset.path;
    const current = p === "/" ? path === "/" : path === p || path.startsWith(`${p}/`);
    const a = li.querySelector("a");
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

// A page module. When it cannot be fetched because the server now runs a newer release (whose
// assets live under another /assets/<release>/), the page reloads once to get that release.
async function importPage(name) {
  try {
    return await import(`./pages/${name}.js`);
  } catch (err) {
    const mine = new URL("..", import.meta.url).pathname;  // "/assets/<release>/"
    const res = await fetch("/", { cache: "no-store" }).catch(() => null);
    const html = res && res.ok ? await res.text() : "";
    if (html && !html.includes(mine) && sessionStorage.getItem("salesos.reloaded") !== mine) {
      sessionStorage.setItem("salesos.reloaded", mine);
      location.reload();
      return new Promise(() => {});  // the reload replaces this page
    }
    throw err;
  }
}

async function render() {
  const seq = ++renderSeq;
  if (typeof cleanup === "function") {
    try { cleanup(); } catch (err) { console.error(err); }
  }
  cleanup = null;
  document.body.classList.remove("nav-open");
  const { path, query } = parseHash();
  const session = currentSession();
  const found = match(path);
  if (!found) {
    navigate(session ? "/" : "/login", { replace: true });
    return;
  }
  const { route, params } = found;
  if (!route.anonymous && !session) {
    navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true });
    return;
  }
  if (route.anonymous && session) {
    navigate("/", { replace: true });
    return;
  }
  let root;
  if (route.anonymous || route.bare) {
    shell = null;
    live.stop();
    root = h("main", { id: "main", class: route.bare ? "bare" : "auth-page", tabindex: "-1" });
    mount(app, root);
  } else {
    if (!shell || !app.contains(shell.root)) mount(app, buildShell(session).root);
    fillShell(session);
    markCurrent(path);
    live.start();
    root = shell.main;
  }
  if (route.role && !hasRole(route.role, session)) {
    mount(root, errorBox({ message: `This page needs the ${route.role} role; you are ${session.user.role}.` }));
    return;
  }
  mount(root, spinner());
  try {
    const mod = await importPage(route.module);
    if (seq !== renderSeq) return;
    const page = mod[route.view];
    root.replaceChildren();
    const ctx = { params, query, session, navigate, refreshNav: () => fillShell(currentSession()) };
    const undo = await page(root, ctx);
    if (seq !== renderSeq) {
      if (typeof undo === "function") undo();
      return;
    }
    cleanup = undo;
    if (!root.contains(document.activeElement)) root.focus({ preventScroll: true });
  } catch (err) {
    if (seq !== renderSeq) return;
    console.error(err);
    mount(root, errorBox(err));
  }
}

live.on("status", (s) => {
  if (!shell) return;
  shell.status.dataset.state = s;
  shell.status.querySelector(".label").textContent = s;
});

onSignedOut(() => {
  live.stop();
  toast("Your session has ended; sign in again.", "error");
  const { path } = parseHash();
  navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true });
});

onSession((s) => {
  if (s) fillShell(s);
});

window.addEventListener("hashchange", render);

// A signed-in reload: the user's role or name may have changed since the session was saved.
if (currentSession()) {
  api.get("/api/v1/auth/me").then((me) => updateUser(me.user, me.workspace)).catch(() => {});
}
render();
