'use strict';
// Shared parts of the bench clients: arguments, percentiles, a lean keep-alive HTTP/1.1 client on
// raw sockets (pre-serialised requests, so the generator costs little CPU), an open-loop pacer,
// signed Meta webhook bodies and JSON output.

const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');

function parseArgs(argv, defaults) {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    a = a.slice(2);
    let v;
    const eq = a.indexOf('=');
    if (eq >= 0) { v = a.slice(eq + 1); a = a.slice(0, eq); } else if (typeof defaults[a] === 'boolean') { v = true; } else { v = argv[++i]; }
    if (!(a in defaults)) throw new Error(`unknown option --${a}`);
    if (Array.isArray(defaults[a])) { o[a] = [...(o[a] === defaults[a] ? [] : o[a]), v]; continue; }
    o[a] = typeof defaults[a] === 'number' ? Number(v) : v;
    if (typeof defaults[a] === 'number' && !Number.isFinite(o[a])) throw new Error(`--${a} must be a number`);
  }
  return o;
}

// Nearest-rank percentile of a numeric array (sorted in place).
function percentile(values, p) {
  if (values.length === 0) return NaN;
  const a = values instanceof Float64Array ? values : Float64Array.from(values);
  a.sort();
  const rank = Math.min(a.length - 1, Math.max(0, Math.ceil(p * a.length) - 1));
  return a[rank];
}
function summary(values) {
  const a = Float64Array.from(values).sort();
  return { n: a.length, p50: percentile(a, 0.5), p99: percentile(a, 0.99), max: a.length ? a[a.length - 1] : NaN };
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function rssKib(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch { return NaN; }
}

// CPU of this process, in % of one core, between two marks.
function cpuMark() { return { cpu: process.cpuUsage(), at: nowMs() }; }
function cpuSince(mark) {
  const d = process.cpuUsage(mark.cpu);
  return ((d.user + d.system) / 1000) / (nowMs() - mark.at) * 100;
}

// ---- signed webhooks ------------------------------------------------------------------------

// The bench's customers: the same PSIDs in every run (contacts and conversations exist after the
// first message, as for a business with regular customers).
function customerIds(n) {
  return Array.from({ length: n }, (_, i) => String(1000000000000 + i));
}

function metaId() {
  let s = '10';
  for (let i = 0; i < 13; i++) s += Math.floor(Math.random() * 10);
  return s;
}

// A Messenger text message as Meta delivers it (tests/support/meta.cpp's MessengerTextBody).
function messengerBody(pageId, psid, mid, text, tsMs) {
  return JSON.stringify({ object: 'page', entry: [{ id: pageId, time: tsMs + 120, messaging: [{
    sender: { id: psid }, recipient: { id: pageId }, timestamp: tsMs, message: { mid, text } }] }] });
}

function sign(secret, body) {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');
}

// `count` pre-serialised, signed POST /webhooks/meta requests with unique mids.
function webhookRequests({ host, pageId, secret, customers, count, tag }) {
  const psids = customers.length ? customers : [metaId()];   // a fixed pool keeps conversations warm
  const mids = new Array(count);
  const reqs = new Array(count);
  const t0 = Date.now();
  const nonce = crypto.randomBytes(4).toString('hex');
  for (let i = 0; i < count; i++) {
    const mid = `m_bench-${tag}-${nonce}-${i}`;
    const body = messengerBody(pageId, psids[i % psids.length], mid, `Hi, is the desk lamp in stock? (${i})`, t0 + i);
    mids[i] = mid;
    reqs[i] = Buffer.from(
      `POST /webhooks/meta HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      `X-Hub-Signature-256: ${sign(secret, body)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  return { mids, reqs };
}

function getRequest(host, path, headers) {
  let s = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n`;
  for (const [k, v] of headers) s += `${k}: ${v}\r\n`;
  return Buffer.from(s + '\r\n');
}

// ---- raw keep-alive HTTP/1.1 connection: one request in flight ------------------------------

class Conn {
  constructor(hostport, onDone) {
    const [host, port] = splitHostPort(hostport);
    this.sock = net.connect({ host, port });
    this.sock.setNoDelay(true);
    this.buf = null;
    this.busy = false;
    this.onDone = onDone;   // (conn, status, err)
    this.ready = new Promise((resolve, reject) => {
      this.sock.once('connect', resolve);
      this.sock.once('error', reject);
    });
    this.sock.on('data', (d) => this.onData(d));
    this.sock.on('error', (e) => this.fail(e));
    this.sock.on('close', () => { this.closed = true; this.fail(new Error('connection closed')); });
  }
  send(reqBuf, ctx) {
    this.busy = true;
    this.ctx = ctx;
    this.sock.write(reqBuf);
  }
  fail(err) {
    if (this.busy) { this.busy = false; this.buf = null; this.onDone(this, 0, err); }
  }
  onData(d) {
    this.buf = this.buf ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.toString('latin1', 0, end);
      const status = Number(head.slice(9, 12));
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      let total;
      if (m) total = end + 4 + Number(m[1]);
      else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        const z = this.buf.indexOf('\r\n0\r\n\r\n', end);   // the last chunk
        if (z < 0) return;
        total = z + 7;
      } else total = end + 4;
      if (this.buf.length < total) return;
      this.buf = this.buf.length > total ? this.buf.subarray(total) : null;
      this.busy = false;
      this.onDone(this, status, null);
      if (!this.buf) return;
    }
  }
  close() { this.sock.destroy(); }
}

function splitHostPort(hp) {
  const s = hp.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

// Open loop: request i is due at start + i / rate, whatever the earlier ones took. A due request
// goes out on an idle connection at once; when all are busy it waits (and the wait counts).
// Latency is measured from when the request became due and the pacer saw it (the timer's
// granularity is ~1 ms and is not charged to the server). Resolves with per-request arrays.
async function openLoop({ hostport, connections, rate, count, requestFor, onAck, sentAt: given }) {
  const sentAt = given || new Float64Array(count);
  const doneAt = new Float64Array(count);
  const status = new Uint16Array(count);
  let completed = 0, errors = 0, maxBacklog = 0;
  const backlog = [];
  const idle = [];
  let finish;
  const finished = new Promise((r) => { finish = r; });
  const onDone = (conn, st, err) => {
    const i = conn.ctx;
    doneAt[i] = nowMs();
    status[i] = st;
    if (err || st !== 200) errors++;
    else if (onAck) onAck(i, doneAt[i]);
    completed++;
    if (completed === count) finish();
    if (conn.closed) return;
    if (backlog.length) { const j = backlog.shift(); conn.send(requestFor(j), j); } else idle.push(conn);
  };
  const conns = [];
  for (let c = 0; c < connections; c++) conns.push(new Conn(hostport, onDone));
  await Promise.all(conns.map((c) => c.ready));
  idle.push(...conns);
  const start = nowMs() + 5;
  let next = 0;
  const tick = () => {
    const now = nowMs();
    const due = Math.min(count, Math.floor((now - start) * rate / 1000) + 1);
    while (next < due) {
      const i = next++;
      sentAt[i] = now;
      const c = idle.pop();
      if (c) c.send(requestFor(i), i); else { backlog.push(i); if (backlog.length > maxBacklog) maxBacklog = backlog.length; }
    }
    if (next < count) setTimeout(tick, Math.max(0, Math.min(1, start + next * 1000 / rate - nowMs())));
  };
  setTimeout(tick, Math.max(0, start - nowMs()));
  const guard = setTimeout(() => finish(), count / rate * 1000 + 30000);
  await finished;
  clearTimeout(guard);
  const end = nowMs();
  for (const c of conns) c.close();
  const lat = [];
  for (let i = 0; i < count; i++) if (status[i] === 200) lat.push(doneAt[i] - sentAt[i]);
  const lastSent = sentAt[count - 1] || end;
  return { sentAt, doneAt, status, latencies: lat, errors: errors + (count - completed), maxBacklog,
    achieved: count / ((lastSent - start) / 1000 + 1 / rate), wallS: (end - start) / 1000 };
}

function out(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }

module.exports = { customerIds, parseArgs, percentile, summary, nowMs, rssKib, cpuMark, cpuSince, metaId, messengerBody,
  sign, webhookRequests, getRequest, Conn, openLoop, out, splitHostPort };
