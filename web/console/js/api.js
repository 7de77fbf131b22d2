// The console's only way to the server: the public REST API under /api/v1 (docs/api.md).
//
// - The session (tokens, user, workspace) lives in localStorage, so a reload stays signed in.
// - The access token is refreshed a minute before it expires, and once more on a 401; when that
//   fails too the session ends and the app shows the login page (onSignedOut).
// - Every non-2xx answer becomes an ApiError with the server's code, message and field details.

const STORAGE_KEY = "salesos.session";
const REFRESH_EARLY_MS = 60_000;

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `request failed (HTTP ${status})`);
    this.status = status;
    this.code = e.code || "UNKNOWN";
    this.details = Array.isArray(e.details) ? e.details : [];
    this.requestId = e.requestId || "";
    this.retryAfter = 0;
  }
}

let session = load();
let refreshing = null;
let refreshTimer = 0;
const signedOutHandlers = new Set();
const sessionHandlers = new Set();

function load() {
  try {
    const s = JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
    return s && s.accessToken && s.refreshToken ? s : null;
  } catch {
    return null;
  }
}

function save() {
  if (session) {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  } else {
    localStorage.removeItem(STORAGE_KEY);
  }
  for (const fn of sessionHandlers) fn(session);
}

function schedule() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const wait = Math.max(1_000, session.expiresAt - Date.now() - REFRESH_EARLY_MS);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), wait);
}

// The current session: {accessToken, refreshToken, expiresAt, user, workspace}, or null.
export function currentSession() {
  return session;
}

// Calls fn(reason) when the session ends without the user asking (refresh refused).
export function onSignedOut(fn) {
  signedOutHandlers.add(fn);
  return () => signedOutHandlers.delete(fn);
}

// Calls fn(session) whenever the session changes (new tokens, new user data, sign-out).
export function onSession(fn) {
  sessionHandlers.add(fn);
  return () => sessionHandlers.delete(fn);
}

// Takes the answer of register, login or refresh as the new session.
export function startSession(auth) {
  session = {
    accessToken: auth.accessToken,
    refreshToken: auth.refreshToken,
    expiresAt: Date.now() + Number(auth.expiresIn || 900) * 1000,
    user: auth.user || (session && session.user) || null,
    workspace: auth.workspace || (session && session.workspace) || null,
  };
  save();
  schedule();
}

// Replaces the user part of the session (after /auth/me or onboarding).
export function updateUser(user, workspace) {
  if (!session) return;
  session = { ...session, user: user || session.user, workspace: workspace || session.workspace };
  save();
}

function endSession(reason) {
  clearTimeout(refreshTimer);
  const had = session !== null;
  session = null;
  save();
  if (had) for (const fn of signedOutHandlers) fn(reason);
}

// Ends the session here and on the server (the refresh token's family is revoked).
export async function signOut() {
  const token = session && session.refreshToken;
  clearTimeout(refreshTimer);
  session = null;
  save();
  if (token) {
    try {
      await send("POST", "/api/v1/auth/logout", { body: { refreshToken: token }, anonymous: true });
    } catch {
      // Signed out here either way; an unreachable server forgets the token when it expires.
    }
  }
}

// A new access token from the refresh token; one refresh at a time however many callers ask.
export function refresh() {
  if (!session) return Promise.reject(new ApiError(401, null));
  if (!refreshing) {
    const token = session.refreshToken;
    refreshing = send("POST", "/api/v1/auth/refresh", { body: { refreshToken: token }, anonymous: true })
      .then((auth) => {
        startSession(auth);
        return session.accessToken;
      })
      .catch((err) => {
        if (err.status === 401 || err.status === 400) endSession("expired");
        throw err;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

// A fresh access token (refreshed first when it is about to expire), e.g. for the WebSocket.
export async function accessToken() {
  if (!session) throw new ApiError(401, null);
  if (session.expiresAt - Date.now() < 10_000) await refresh();
  return session.accessToken;
}

export function queryString(query) {
  if (!query) return "";
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => q.append(k, String(x)));
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

async function send(method, path, { body, query, anonymous = false, raw = null, rawType = "", signal,
                                    retried = false, blob = false } = {}) {
  const headers = { Accept: "application/json" };
  if (!anonymous) {
    if (!session) throw new ApiError(401, null);
    headers.Authorization = `Bearer ${session.accessToken}`;
  }
  let payload;
  if (raw !== null) {
    payload = raw;
    if (rawType) headers["Content-Type"] = rawType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  let res;
  try {
    res = await fetch(path + queryString(query), { method, headers, body: payload, signal });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    const e = new ApiError(0, { error: { code: "UNAVAILABLE", message: "cannot reach the server; check your connection" } });
    throw e;
  }
  if (res.status === 401 && !anonymous && !retried && session) {
    try {
      await refresh();
    } catch {
      endSession("expired");
      throw new ApiError(401, { error: { code: "UNAUTHENTICATED", message: "your session has ended; sign in again" } });
    }
    return send(method, path, { body, query, anonymous, raw, rawType, signal, retried: true, blob });
  }
  if (!res.ok) {
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    const err = new ApiError(res.status, data);
    err.retryAfter = Number(res.headers.get("Retry-After") || 0);
    if (res.status === 401 && !anonymous) endSession("expired");
    throw err;
  }
  if (blob) {
    const disposition = res.headers.get("Content-Disposition") || "";
    const m = /filename="([^"]*)"/.exec(disposition);
    return { blob: await res.blob(), filename: m ? m[1] : "download" };
  }
  const text = await res.text();
  return text ? JSON.parse(text) : {};
}

export const api = {
  get: (path, query, opts = {}) => send("GET", path, { ...opts, query }),
  post: (path, body = {}, opts = {}) => send("POST", path, { ...opts, body }),
  put: (path, body = {}, opts = {}) => send("PUT", path, { ...opts, body }),
  patch: (path, body = {}, opts = {}) => send("PATCH", path, { ...opts, body }),
  del: (path, opts = {}) => send("DELETE", path, opts),
  // Anonymous calls (register, login): no token, no refresh on 401.
  anonymous: (method, path, body) => send(method, path, { body, anonymous: true }),
  // A file as the raw request body (docs/api.md "Uploads").
  upload: (path, file, query, contentType) =>
    send("POST", path, { raw: file, rawType: contentType || file.type || "application/octet-stream", query }),
  // A download route (docs/api.md "Downloads"): saves the file through the browser.
  async download(method, path, query, body) {
    const { blob, filename } = await send(method, path, { query, body, blob: true });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return filename;
  },
};

// Every page of a paged list ({<key>: [...], nextPageToken}) up to `limit` items.
export async function listAll(path, key, query = {}, limit = 1000) {
  const out = [];
  let token = "";
  do {
    const page = await api.get(path, { ...query, pageSize: 100, pageToken: token });
    out.push(...(page[key] || []));
    token = page.nextPageToken || "";
  } while (token && out.length < limit);
  return out;
}

if (session) schedule();
