// The live feed: one WebSocket on /ws (docs/realtime.md) for the whole console.
//
//   const off = live.on("message.created", (event) => ...);   // event.data is the REST resource
//   live.on("resync", () => refetch());                        // events may have been missed
//   live.on("status", (state) => ...);                         // "connecting" | "live" | "offline"
//
// It reconnects with a growing backoff (1 s … 30 s), resumes with ?since=<last event id> so nothing
// published meanwhile is missed, and takes a fresh access token each time.

import { accessToken, currentSession } from "./api.js";

const handlers = new Map();
let socket = null;
let lastId = "";
let backoff = 1000;
let timer = 0;
let wanted = false;
let state = "offline";
let pingTimer = 0;

function emit(type, payload) {
  for (const fn of handlers.get(type) || []) {
    try {
      fn(payload);
    } catch (err) {
      console.error(`live: a ${type} handler failed`, err);
    }
  }
  if (type !== "*" && type !== "status") {
    for (const fn of handlers.get("*") || []) fn(payload);
  }
}

function setState(s) {
  if (s === state) return;
  state = s;
  emit("status", s);
}

async function connect() {
  clearTimeout(timer);
  if (!wanted || socket || !currentSession()) return;
  setState("connecting");
  let token;
  try {
    token = await accessToken();
  } catch {
    setState("offline");
    return;
  }
  if (!wanted || socket) return;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}/ws${lastId ? `?since=${encodeURIComponent(lastId)}` : ""}`;
  const ws = new WebSocket(url, ["bearer", token]);
  socket = ws;
  ws.onmessage = (msg) => {
    let event;
    try {
      event = JSON.parse(msg.data);
    } catch {
      return;
    }
    if (event.type === "ready") {
      backoff = 1000;
      setState("live");
      return;
    }
    if (event.type === "pong") return;
    if (event.id) lastId = event.id;
    emit(event.type, event);
  };
  ws.onclose = () => {
    if (socket === ws) socket = null;
    clearInterval(pingTimer);
    setState("offline");
    if (wanted) {
      timer = setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30_000);
    }
  };
  clearInterval(pingTimer);
  // Keeps idle proxies from closing the socket.
  pingTimer = setInterval(() => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ping" }));
  }, 25_000);
}

export const live = {
  // Subscribes to an event type ("*" for every event); returns the unsubscribe function.
  on(type, fn) {
    if (!handlers.has(type)) handlers.set(type, new Set());
    handlers.get(type).add(fn);
    return () => handlers.get(type).delete(fn);
  },
  start() {
    wanted = true;
    connect();
  },
  stop() {
    wanted = false;
    lastId = "";
    clearTimeout(timer);
    clearInterval(pingTimer);
    if (socket) socket.close(1000, "signed out");
    socket = null;
    setState("offline");
  },
  get state() {
    return state;
  },
};
