'use strict';
// Open-loop HTTP load at a fixed rate (wrk cannot pace): one run, one JSON line on stdout.
//   node openloop.js --kind me      --url http://127.0.0.1:8080 --rate 1000 --duration 5   (token in BENCH_TOKEN)
//   node openloop.js --kind webhook --url http://127.0.0.1:8080 --rate 4000 --duration 5 --page <page id>
//                    (app secret in BENCH_META_SECRET; --customers PSIDs in turn, unique mids)
// Output: {kind, rate, achieved, sent, errors, p50, p99, max (ms), maxBacklog, clientCpu (% of a core)}.
// Latency runs from when the request was due (and the pacer saw it) to its whole answer; when
// every connection is busy the request waits, and the wait counts.
const L = require('./lib');

async function main() {
  const o = L.parseArgs(process.argv.slice(2), { kind: 'me', url: '', rate: 1000, duration: 5, connections: 32,
    page: '', customers: 100, path: '/api/v1/auth/me', warmup: 0, tag: 'r' });
  if (!o.url) throw new Error('--url is required');
  const [host, port] = L.splitHostPort(o.url);
  const hostport = `${host}:${port}`;
  let requestFor, count;
  const run = async (secs, tag) => {
    count = Math.max(1, Math.round(o.rate * secs));
    if (o.kind === 'me') {
      const token = process.env.BENCH_TOKEN;
      if (!token) throw new Error('BENCH_TOKEN is not set');
      const req = L.getRequest(hostport, o.path, [['Authorization', `Bearer ${token}`], ['Accept', 'application/json']]);
      requestFor = () => req;
    } else if (o.kind === 'webhook') {
      const secret = process.env.BENCH_META_SECRET;
      if (!secret || !o.page) throw new Error('BENCH_META_SECRET and --page are required');
      const { reqs } = L.webhookRequests({ host: hostport, pageId: o.page, secret, customers: L.customerIds(o.customers), count, tag });
      requestFor = (i) => reqs[i];
    } else throw new Error(`unknown --kind ${o.kind}`);
    const mark = L.cpuMark();
    const r = await L.openLoop({ hostport, connections: o.connections, rate: o.rate, count, requestFor });
    return { r, cpu: L.cpuSince(mark) };
  };
  if (o.warmup > 0) await run(o.warmup, `${o.tag}w`);
  const { r, cpu } = await run(o.duration, o.tag);
  const s = L.summary(r.latencies);
  L.out({ kind: o.kind, rate: o.rate, achieved: r.achieved, sent: count, errors: r.errors, p50: s.p50, p99: s.p99,
    max: s.max, maxBacklog: r.maxBacklog, clientCpu: cpu });
}
main().catch((e) => { console.error(`openloop: ${e.stack || e}`); process.exit(1); });
