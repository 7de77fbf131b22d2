// Sign in (#/login) and sign up (#/signup): the only pages a visitor without a session sees.
// POST /api/v1/auth/login and /api/v1/auth/register (anonymous, docs/api.md "Auth"); the answer
// starts the session, then the user goes where they were heading (?next=), or to the onboarding
// wizard when an admin or owner has not finished it yet.

import { api, startSession } from "../api.js";
import { h, mount, field, onSubmit } from "../ui.js";

const PASSWORD_HELP = "10 to 128 characters.";
const ADMIN_ROLES = new Set(["admin", "owner", "superadmin"]);

// Where to go after signing in: a console path from ?next= (never back to the auth pages, never
// another origin), else the dashboard; admins who have not finished onboarding go there first.
function destination(answer, query) {
  const user = answer.user || {};
  if (user.onboardingCompleted === false && ADMIN_ROLES.has(user.role)) return "/onboarding";
  const next = typeof query.next === "string" ? query.next : "";
  if (next.startsWith("/") && !next.startsWith("//") && !/^\/(login|signup)\b/.test(next)) return next;
  return "/";
}

function wait(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 0));
  if (s < 90) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.ceil(s / 60);
  const at = new Date(Date.now() + s * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return `${m} minutes (at ${at})`;
}

// Turns the answers a visitor can fix into clear messages (next to the field when there is one).
function explain(err, kind) {
  if (!err || typeof err.status !== "number") return err;
  const out = { message: err.message, details: err.details, requestId: err.requestId };
  if (err.status === 401 && kind === "login") {
    out.message = "Wrong email or password. Check both and try again.";
    out.details = [];
  } else if (err.status === 409 && kind === "signup") {
    out.details = [{ field: "email", description: "An account with this email already exists. Sign in instead." }];
  } else if (err.status === 429) {
    const when = err.retryAfter ? `Try again in ${wait(err.retryAfter)}.` : "Wait a few minutes and try again.";
    out.message = kind === "login"
      ? `Too many failed sign-ins for this email. ${when}`
      : `Too many requests. ${when}`;
    out.details = [];
  } else if (err.status === 0) {
    out.message = "Cannot reach SalesOS. Check your connection and try again.";
  }
  return out;
}

function card(title, intro, form, footer) {
  document.title = `${title} · SalesOS`;
  return h("div", { class: "auth-card panel" },
    h("div", { class: "auth-brand" },
      h("img", { src: document.querySelector("link[rel=icon]").href, alt: "", width: 32, height: 32 }),
      h("span", null, "SalesOS")),
    h("h1", null, title),
    intro ? h("p", { class: "muted" }, intro) : null,
    form,
    h("p", { class: "auth-switch" }, footer));
}

function nextSuffix(query) {
  return query.next ? `?next=${encodeURIComponent(query.next)}` : "";
}

export async function login(root, ctx) {
  const form = h("form", { novalidate: false, "aria-label": "Sign in" },
    field({ label: "Email", name: "email", type: "email", required: true, autocomplete: "username" }),
    field({ label: "Password", name: "password", type: "password", required: true, autocomplete: "current-password" }),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary wide" }, "Sign in")));
  onSubmit(form, async (v) => {
    let answer;
    try {
      answer = await api.anonymous("POST", "/api/v1/auth/login", { email: v.email.trim(), password: v.password });
    } catch (err) {
      throw explain(err, "login");
    }
    startSession(answer);
    ctx.navigate(destination(answer, ctx.query));
  });
  mount(root, h("div", { class: "auth-wrap" },
    card("Sign in", "Welcome back. Sign in to your workspace.", form,
      ["New to SalesOS? ", h("a", { href: `#/signup${nextSuffix(ctx.query)}` }, "Create an account")])));
  form.querySelector("input").focus();
}

export async function signup(root, ctx) {
  const form = h("form", { "aria-label": "Create an account" },
    field({ label: "Your name", name: "name", required: true, autocomplete: "name", maxlength: 100 }),
    field({ label: "Business name", name: "businessName", required: true, autocomplete: "organization", maxlength: 100,
      help: "Your workspace's name; you can describe the business in the next step." }),
    field({ label: "Email", name: "email", type: "email", required: true, autocomplete: "email", maxlength: 254 }),
    field({ label: "Password", name: "password", type: "password", required: true, autocomplete: "new-password",
      help: PASSWORD_HELP, maxlength: 128 }),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary wide" }, "Create account")));
  onSubmit(form, async (v) => {
    if ([...v.password].length < 10) {
      throw { message: "", details: [{ field: "password", description: `Too short: ${PASSWORD_HELP}` }] };
    }
    let answer;
    try {
      answer = await api.anonymous("POST", "/api/v1/auth/register", {
        name: v.name.trim(), businessName: v.businessName.trim(), email: v.email.trim(), password: v.password,
      });
    } catch (err) {
      throw explain(err, "signup");
    }
    startSession(answer);
    ctx.navigate(destination(answer, ctx.query));
  });
  mount(root, h("div", { class: "auth-wrap" },
    card("Create your account", "Set up a workspace for your business: your AI sales team is a few steps away.", form,
      ["Already have an account? ", h("a", { href: `#/login${nextSuffix(ctx.query)}` }, "Sign in")])));
  form.querySelector("input").focus();
}
