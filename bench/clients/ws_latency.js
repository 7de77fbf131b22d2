'use strict';
// Webhook → real-time client latency (bench/README.md, measure 3): one dashboard client of the
// workspace (SalesOS /ws or a Socket.IO client of the peer), signed Messenger webhooks POSTed
// open loop at --rate for --duration; for each message, POST due → its 200 (ack) and POST due →
// the client receiving it as message.created (ws). One run, one JSON line.
//   BENCH_TOKEN=... BENCH_META_SECRET=... node ws_latency.js --kind salesos|peer --url http://h:p --page <id>
const L = require('./lib');
const { connect } = require('./rt');

async function main() {
  const o = L.parseArgs(process.argv.slice(2), { kind: 'salesos', url: '', page: '', rate: 500, duration: 5,
    customers: 100, connections: 16, tag: 'ws', wait: 10 });
  const [host, port] = L.splitHostPort(o.url);
  const hostport = `${host}:${port}`;
  const count = Math.round(o.rate * o.duration);
  const { mids, reqs } = L.webhookRequests({ host: hostport, pageId: o.page, secret: process.env.BENCH_META_SECRET,
    customers: L.customerIds(o.customers), count, tag: o.tag });
  const index = new Map(mids.map((m, i) => [m, i]));
  const seenAt = new Float64Array(count);
  let seen = 0;
  const client = await connect(o.kind, hostport, process.env.BENCH_TOKEN, (mid, at) => {
    const i = index.get(mid);
    if (i !== undefined && !seenAt[i]) { seenAt[i] = at; seen++; }
  });
  const mark = L.cpuMark();
  const r = await L.openLoop({ hostport, connections: o.connections, rate: o.rate, count, requestFor: (i) => reqs[i] });
  let acked = 0;
  for (let i = 0; i < count; i++) if (r.status[i] === 200) acked++;
  const deadline = L.nowMs() + o.wait * 1000;
  while (seen < acked && L.nowMs() < deadline) await new Promise((res) => setTimeout(res, 20));
  const cpu = L.cpuSince(mark);
  const ws = [];
  for (let i = 0; i < count; i++) if (seenAt[i]) ws.push(seenAt[i] - r.sentAt[i]);
  const a = L.summary(r.latencies), w = L.summary(ws);
  client.close();
  L.out({ kind: o.kind, rate: o.rate, achieved: r.achieved, sent: count, errors: r.errors, missing: acked - seen,
    ackP50: a.p50, ackP99: a.p99, wsP50: w.p50, wsP99: w.p99, wsMax: w.max, clientCpu: cpu });
  setTimeout(() => process.exit(0), 100);
}
main().catch((e) => { console.error(`ws_latency: ${e.stack || e}`); process.exit(1); });
