// The account page (#/account): who you are in which workspace (GET /api/v1/auth/me), changing the
// password (POST /api/v1/auth/password: every session ends, so you sign in again) and signing out
// of every device (POST /api/v1/auth/logout-all).

import { api, updateUser, signOut } from "../api.js";
import { h, mount, pageHeader, field, onSubmit, toast, confirmDialog, spinner, errorBox, badge } from "../ui.js";
import { live } from "../live.js";

const ROLE_HELP = {
  owner: "Everything, including ownership, deleting the workspace and clearing its data.",
  admin: "Campaigns, integrations, members (not owners), AI settings, webhooks and the business profile.",
  agent: "Work conversations and contacts: reply, hand off, assign, record sales.",
  viewer: "Read the workspace: campaigns, conversations, contacts and analytics.",
};

async function endHere(ctx, message) {
  live.stop();
  await signOut();
  toast(message, "ok", 6000);
  ctx.navigate("/login");
}

export async function account(root, ctx) {
  const who = h("section", { class: "panel", "aria-labelledby": "acct-you" }, h("h2", { id: "acct-you" }, "You"), spinner());
  mount(root, pageHeader("Account"), who);

  let me;
  try {
    me = await api.get("/api/v1/auth/me");
    updateUser(me.user, me.workspace);
  } catch (err) {
    mount(who, h("h2", { id: "acct-you" }, "You"), errorBox(err));
    return undefined;
  }
  const u = me.user || {};
  const w = me.workspace || {};
  mount(who, h("h2", { id: "acct-you" }, "You"),
    h("dl", { class: "account-facts" },
      h("div", null, h("dt", null, "Name"), h("dd", null, u.name)),
      h("div", null, h("dt", null, "Email"), h("dd", null, u.email)),
      h("div", null, h("dt", null, "Role"), h("dd", null, badge(u.role, "info"), " ", h("span", { class: "muted" }, ROLE_HELP[u.role] || ""))),
      h("div", null, h("dt", null, "Workspace"), h("dd", null, w.name)),
      h("div", null, h("dt", null, "Workspace id"), h("dd", null, h("code", null, w.id))),
      h("div", null, h("dt", null, "User id"), h("dd", null, h("code", null, u.id)))));

  const pwForm = h("form", { "aria-labelledby": "acct-pw" },
    h("h2", { id: "acct-pw" }, "Change password"),
    h("p", { class: "muted" }, "Changing it signs you out everywhere, this browser included; sign in again with the new one."),
    // For password managers: whose password this is.
    h("input", { type: "text", autocomplete: "username", value: u.email, hidden: true, readonly: true, tabindex: "-1", "aria-hidden": "true" }),
    field({ label: "Current password", name: "currentPassword", type: "password", required: true, autocomplete: "current-password" }),
    field({ label: "New password", name: "newPassword", type: "password", required: true, autocomplete: "new-password",
      maxlength: 128, help: "10 to 128 characters, not the current one." }),
    field({ label: "Confirm the password", name: "confirmPassword", type: "password", required: true, autocomplete: "new-password", maxlength: 128 }),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "primary" }, "Change password")));
  onSubmit(pwForm, async (v) => {
    if (v.newPassword !== v.confirmPassword) {
      throw { message: "", details: [{ field: "confirmPassword", description: "The two new passwords differ." }] };
    }
    if ([...v.newPassword].length < 10) {
      throw { message: "", details: [{ field: "newPassword", description: "At least 10 characters." }] };
    }
    try {
      await api.post("/api/v1/auth/password", { currentPassword: v.currentPassword, newPassword: v.newPassword });
    } catch (err) {
      if (err.status === 401 && !(err.details || []).length) {
        throw { message: "", details: [{ field: "currentPassword", description: "That is not your current password." }] };
      }
      throw err;
    }
    await endHere(ctx, "Password changed. Sign in with the new one.");
  });

  const everywhere = h("button", {
    type: "button", class: "danger",
    onclick: async () => {
      const ok = await confirmDialog("Every device signed in to your account, this one included, is signed out at once.",
        { title: "Sign out everywhere?", confirm: "Sign out everywhere", danger: true });
      if (!ok) return;
      everywhere.disabled = true;
      try {
        await api.post("/api/v1/auth/logout-all", {});
      } catch (err) {
        everywhere.disabled = false;
        toast(err.message || String(err), "error");
        return;
      }
      await endHere(ctx, "Signed out on every device.");
    },
  }, "Sign out everywhere");

  mount(root, pageHeader("Account"), who,
    h("section", { class: "panel account-password" }, pwForm),
    h("section", { class: "panel", "aria-labelledby": "acct-sessions" },
      h("h2", { id: "acct-sessions" }, "Sessions"),
      h("p", { class: "muted" }, "Lost a phone or used a shared computer? End every session of your account."),
      everywhere));
  return undefined;
}
