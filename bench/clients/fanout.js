'use strict';
// WebSocket fan-out (bench/README.md, measure 4): --clients real-time clients of one workspace
// (SalesOS /ws or Socket.IO on the peer), then --runs runs of:
//   paced: signed webhooks at --rate for --duration, each delivered to every client: deliveries
//          per second and the delivery latency (POST due → a client receiving it), p50/p99;
//   burst: --burst webhooks as fast as --burst-rate: deliveries per second from the first POST to
//          the last delivery (the server's fan-out throughput, or the client's, see clientCpu).
// Memory per idle connection: the server's VmRSS (--server-pid) before connecting and after every
// client is ready (1 s later), divided by the clients. One JSON line.
const L = require('./lib');
const { connect } = require('./rt');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const o = L.parseArgs(process.argv.slice(2), { kind: 'salesos', url: '', page: '', clients: 1000, 'server-pid': 0,
    rate: 10, duration: 5, runs: 3, burst: 100, 'burst-rate': 2000, customers: 100, connections: 8, parallel: 50, wait: 15 });
  const [host, port] = L.splitHostPort(o.url);
  const hostport = `${host}:${port}`;
  const token = process.env.BENCH_TOKEN, secret = process.env.BENCH_META_SECRET;

  // Deliveries are counted per message index of the current phase.
  let index = new Map(), got = null, firstAt = null, lastAt = 0, delivered = 0, lat = [], sentAt = null;
  const onMessage = (mid, at) => {
    const i = index.get(mid);
    if (i === undefined) return;
    got[i]++; delivered++; lastAt = at;
    lat.push(at - sentAt[i]);
  };

  const rss0 = L.rssKib(o['server-pid']);
  const t0 = L.nowMs();
  const clients = [];
  for (let c = 0; c < o.clients; c += o.parallel) {
    const batch = [];
    for (let k = c; k < Math.min(o.clients, c + o.parallel); k++) batch.push(connect(o.kind, hostport, token, onMessage));
    clients.push(...(await Promise.all(batch)));
  }
  const connectS = (L.nowMs() - t0) / 1000;
  await sleep(1000);
  const rss1 = L.rssKib(o['server-pid']);

  const phase = async (rate, count, tag) => {
    const { mids, reqs } = L.webhookRequests({ host: hostport, pageId: o.page, secret, customers: L.customerIds(o.customers), count, tag });
    index = new Map(mids.map((m, i) => [m, i]));
    got = new Uint32Array(count); delivered = 0; lat = []; lastAt = 0;
    sentAt = new Float64Array(count);
    const r = await L.openLoop({ hostport, connections: o.connections, rate, count, requestFor: (i) => reqs[i], sentAt });
    let acked = 0;
    for (let i = 0; i < count; i++) if (r.status[i] === 200) acked++;
    const want = acked * clients.length;
    const deadline = L.nowMs() + o.wait * 1000;
    while (delivered < want && L.nowMs() < deadline) await sleep(20);
    const first = r.sentAt[0];
    const s = L.summary(lat);
    return { sent: count, errors: r.errors, deliveries: delivered, missing: want - delivered,
      perS: delivered / ((lastAt - first) / 1000), p50: s.p50, p99: s.p99 };
  };

  const runs = [];
  for (let run = 1; run <= o.runs; run++) {
    const mark = L.cpuMark();
    const paced = await phase(o.rate, Math.round(o.rate * o.duration), `fp${run}`);
    const burst = await phase(o['burst-rate'], o.burst, `fb${run}`);
    runs.push({ paced, burst, clientCpu: L.cpuSince(mark), alive: clients.filter((c) => c.alive()).length });
    await sleep(500);
  }
  for (const c of clients) c.close();
  L.out({ kind: o.kind, clients: clients.length, connectS, rssBeforeKiB: rss0, rssAfterKiB: rss1,
    perConnKiB: (rss1 - rss0) / clients.length, runs });
  setTimeout(() => process.exit(0), 200);
}
main().catch((e) => { console.error(`fanout: ${e.stack || e}`); process.exit(1); });
