// The team (#/members): the workspace's members (WorkspaceService in proto/salesos/auth/v1), adding
// one, changing a role, removing one, and transferring ownership, with the rules of docs/roles.md:
// admins manage members but not owners; only an owner grants or takes away the owner role; the
// last owner can be neither demoted nor removed (the API says so, and the page shows its answer).

import { api, signOut } from "../api.js";
import {
  h, mount, field, onSubmit, toast, confirmDialog, modal, table, pageHeader, badge, loadInto,
  errorBox, formatTime, pager } from "../ui.js";
import { hasRole } from "../app.js";

const ROLES = [
  ["owner", "Owner", "everything, including deleting the workspace, transferring ownership and exporting everything"],
  ["admin", "Admin", "campaigns, integrations, members (not owners), AI settings and the business profile"],
  ["agent", "Agent", "works conversations and contacts: reply, hand off, assign, tag"],
  ["viewer", "Viewer", "reads the workspace, its campaigns, conversations, contacts and analytics"],
];
const ROLE_KIND = { owner: "info", admin: "ok", agent: "", viewer: "" };


export async function members(root, ctx) {
  const me = ctx.session.user || {};
  const isOwner = hasRole("owner");
  const isAdmin = hasRole("admin");
  const notice = h("div", { class: "members-notice", "aria-live": "assertive" });

  const roleOptions = () => ROLES.filter(([r]) => isOwner || r !== "owner").map(([r, label]) => [r, label]);

  function showApiError(err) {
    mount(notice, errorBox(err));
    toast(err.message || String(err), "error");
  }

  async function changeRole(m, select) {
    const role = select.value;
    if (role === m.role) return;
    if (m.id === me.id && !(await confirmDialog(`Change your own role to ${role}? Your sessions end and you sign in again with the new role.`, { title: "Change your role", confirm: "Change my role", danger: true }))) {
      select.value = m.role;
      return;
    }
    mount(notice);
    select.disabled = true;
    try {
      await api.patch(`/api/v1/workspace/members/${m.id}`, { role });
      if (m.id === me.id) {
        await endOwnSession(`You are now ${role}. Sign in again to continue.`);
        return;
      }
      toast(`${m.name} is now ${role}`, "ok");
      paged.reload();
    } catch (err) {
      select.value = m.role;
      showApiError(err);
    } finally {
      select.disabled = false;
    }
  }

  async function remove(m) {
    const ok = await confirmDialog(`Remove ${m.name} (${m.email}) from the workspace? Their sessions end at once.`,
      { title: "Remove member", confirm: "Remove", danger: true });
    if (!ok) return;
    mount(notice);
    try {
      await api.del(`/api/v1/workspace/members/${m.id}`);
      toast(`${m.name} removed`, "ok");
      paged.reload();
    } catch (err) {
      showApiError(err);
    }
  }

  async function transfer(m) {
    const ok = await confirmDialog(`Make ${m.name} the owner of the workspace? You become an admin (only an owner can give the owner role back), and you will sign in again.`,
      { title: "Transfer ownership", confirm: "Transfer ownership", danger: true });
    if (!ok) return;
    mount(notice);
    try {
      await api.post("/api/v1/workspace/transfer-ownership", { userId: m.id });
      await endOwnSession(`${m.name} is now the owner and you are an admin. Sign in again to continue.`);
    } catch (err) {
      showApiError(err);
    }
  }

  // A role change ends every session of that member (docs/roles.md "When access ends"), the
  // caller's own included when it is the one changed.
  async function endOwnSession(text) {
    toast(text, "ok", 8000);
    await signOut();
    ctx.navigate("/login");
  }

  // Admins change agents, viewers and admins; owners' rows only an owner changes.
  const canManage = (m) => isAdmin && (isOwner || m.role !== "owner");

  const paged = pager({
    label: "Member pages",
    load: async (token) => {
      const res = await api.get("/api/v1/workspace/members", { pageSize: 50, pageToken: token });
      return { rows: res.members || [], next: res.nextPageToken };
    },
    render: (rows) => table({
      rows,
      caption: "Members",
      empty: "No members.",
      columns: [
        { label: "Name", value: (m) => h("span", { class: "member-name" }, m.name, m.id === me.id ? badge("you", "info") : null) },
        { label: "Email", value: (m) => h("a", { href: `mailto:${m.email}` }, m.email) },
        {
          label: "Role",
          value: (m) => {
            if (!canManage(m)) return badge(m.role, ROLE_KIND[m.role]);
            const sel = h("select", { "aria-label": `Role of ${m.name}`, class: "role-select", onchange: (ev) => changeRole(m, ev.target) },
              roleOptions().map(([r, label]) => h("option", { value: r, selected: r === m.role }, label)));
            return sel;
          },
        },
        { label: "Joined", value: (m) => formatTime(m.createdAt) },
        isAdmin ? {
          label: "", class: "actions-cell",
          value: (m) => h("div", { class: "row member-actions" },
            isOwner && m.id !== me.id && m.role !== "owner"
              ? h("button", { type: "button", onclick: () => transfer(m), "aria-label": `Make ${m.name} the owner` }, "Make owner")
              : null,
            canManage(m)
              ? h("button", { type: "button", class: "danger", onclick: () => remove(m), "aria-label": `Remove ${m.name}` }, "Remove")
              : null),
        } : null,
      ].filter(Boolean),
    }),
  });

  function addDialog() {
    const form = h("form", { class: "member-form", novalidate: true },
      field({ label: "Email", name: "email", type: "email", required: true, autocomplete: "off" }),
      field({ label: "Name", name: "name", required: true, maxlength: 100 }),
      field({ label: "Role", name: "role", type: "select", value: "agent", options: roleOptions(), help: "Only an owner grants the owner role." }),
      field({ label: "Initial password", name: "password", type: "password", required: true, autocomplete: "new-password", help: "10 to 128 characters. Give it to them privately; they change it after signing in." }),
      h("div", { class: "form-actions" },
        h("button", { type: "button", onclick: () => m.close() }, "Cancel"),
        h("button", { type: "submit", class: "primary" }, "Add member")));
    const m = modal({ title: "Add a member", body: form });
    onSubmit(form, async (values) => {
      const created = await api.post("/api/v1/workspace/members", values);
      m.close(true);
      toast(`${created.name} added as ${created.role}`, "ok");
      paged.reload();
    });
    form.querySelector("input").focus();
  }

  mount(root,
    pageHeader("Team", isAdmin ? h("button", { type: "button", class: "primary", onclick: addDialog }, "Add member") : null),
    notice,
    paged,
    h("section", { class: "panel roles-legend", "aria-labelledby": "roles-title" },
      h("h2", { id: "roles-title" }, "Roles"),
      h("dl", null, ROLES.map(([r, label, text]) => [h("dt", null, badge(label, ROLE_KIND[r])), h("dd", null, text)])),
      h("p", { class: "muted" }, "Each role may do what the ones below it may. A workspace always keeps at least one owner.")));
  return undefined;
}
