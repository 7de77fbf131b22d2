'use strict';
// One real-time client of either stack, resolved once it is ready:
//   salesos: a WebSocket on /ws with the token as subprotocol ["bearer", token] (docs/realtime.md),
//            ready at its {"type":"ready"} message;
//   peer:    a Socket.IO client (websocket transport, its own connection: forceNew) with
//            auth {token}, ready at its "ready" event; events come as "event".
// onMessage(mid, receivedAtMs) for every message.created of a customer message.
const WebSocket = require('ws');
const { io } = require('socket.io-client');
const { nowMs } = require('./lib');

const MID = '"platformMessageId":"';

function connect(kind, hostport, token, onMessage, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind}: not ready within ${timeoutMs} ms`)), timeoutMs);
    if (kind === 'salesos') {
      const ws = new WebSocket(`ws://${hostport}/ws`, ['bearer', token], { perMessageDeflate: false });
      let ready = false;
      ws.on('message', (data) => {
        const at = nowMs();
        const s = data.toString();
        if (!ready) {
          if (s.includes('"type":"ready"')) { ready = true; clearTimeout(timer); resolve({ close: () => ws.terminate(), alive: () => ws.readyState === WebSocket.OPEN }); }
          return;
        }
        if (!s.includes('"type":"message.created"')) return;
        const i = s.indexOf(MID);
        if (i < 0) return;
        const j = s.indexOf('"', i + MID.length);
        onMessage(s.slice(i + MID.length, j), at);
      });
      ws.on('unexpected-response', (_req, res) => { clearTimeout(timer); reject(new Error(`salesos: /ws refused with ${res.statusCode}`)); });
      ws.on('error', (e) => { if (!ready) { clearTimeout(timer); reject(e); } });
    } else if (kind === 'peer') {
      const s = io(`http://${hostport}`, { transports: ['websocket'], auth: { token }, forceNew: true, reconnection: false });
      s.on('ready', () => { clearTimeout(timer); resolve({ close: () => s.disconnect(), alive: () => s.connected }); });
      s.on('event', (ev) => {
        const at = nowMs();
        if (ev && ev.type === 'message.created' && ev.data) onMessage(ev.data.platformMessageId, at);
      });
      s.on('connect_error', (e) => { clearTimeout(timer); reject(new Error(`peer: ${e.message}`)); });
    } else reject(new Error(`unknown kind ${kind}`));
  });
}

module.exports = { connect };
