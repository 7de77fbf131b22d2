'use strict';
// Turns bench/compare.sh's raw results (one JSON object a line) into the Markdown section the lead
// pastes into bench/RESULTS.md.   node report.js results.jsonl '<meta JSON>'
const fs = require('node:fs');

const rows = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const meta = JSON.parse(process.argv[3] || '{}');
const out = [];
const p = (s = '') => out.push(s);

const median = (a) => {
  const v = a.filter(Number.isFinite).sort((x, y) => x - y);
  if (!v.length) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const fmtN = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const fmtMs = (x) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms` : 'n/a');
// "median (min–max)"
function mmm(vals, f) {
  const v = vals.filter(Number.isFinite);
  if (!v.length) return 'n/a';
  return v.length === 1 ? f(v[0]) : `${f(median(v))} (${f(Math.min(...v))}–${f(Math.max(...v))})`;
}
const sel = (m, extra = {}) => rows.filter((r) => r.measure === m && Object.entries(extra).every(([k, v]) => r[k] === v));
const col = (rs, get) => rs.map(get).map(Number);
// x > 1 means SalesOS does better
const adv = (s, q, higherBetter) => {
  if (!Number.isFinite(s) || !Number.isFinite(q) || s === 0 || q === 0) return 'n/a';
  const x = higherBetter ? s / q : q / s;
  return `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×`;
};
const pct = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b * 100).toFixed(0)} %` : 'n/a');
const goal = (ok) => (ok === null ? 'n/a' : ok ? '**met**' : '**missed**');

const when = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
p(`## Side by side: SalesOS and the Node.js stack it replaces (bench/compare.sh), ${when}`);
p();
p(`Commit \`${meta.commit}\`${meta.dirty ? ' (uncommitted changes)' : ''}; ${meta.cpus} CPUs (${meta.cpu}), Linux ${meta.kernel}; ` +
  `Node ${meta.node}, wrk ${meta.wrk}; load average at the end ${meta.load}. ${meta.runs} runs of each figure: median (min–max). ` +
  `**SalesOS ×** is how many times better SalesOS does than the peer (throughput ratio, or the peer's latency over SalesOS's); ` +
  `**of limit** is SalesOS's figure as a share of the machine's ceiling measured in the same run. Load generators, both stacks ` +
  `and both Redis servers share the same ${meta.cpus} cores.`);
p();

// ---- figures ------------------------------------------------------------------------------
const L = {};
L.http = median(col(sel('limit_http'), (r) => r.data.rps));
L.publish = median(col(sel('limit_redis', { cmd: 'PUBLISH' }), (r) => r.rps));
L.xadd = median(col(sel('limit_redis', { cmd: 'XADD' }), (r) => r.rps));
L.sqlite = median(col(sel('limit_sqlite'), (r) => r.rps));
L.pg1 = median(col(sel('limit_pg', { clients: 1 }), (r) => r.rps));
L.pg8 = median(col(sel('limit_pg', { clients: 8 }), (r) => r.rps));

const table = [];
const goals = [];
const row = (what, sv, qv, s, q, higher, limitName, limit, g) => table.push(
  `| ${what} | ${sv} | ${qv} | ${adv(s, q, higher)} | ${limitName ? `${limitName}: ${fmtN(limit)}` : '—'} | ${limitName ? pct(s, limit) : '—'} |`);

// 1. GET
const gw = { salesos: sel('get_wrk', { stack: 'salesos' }), peer: sel('get_wrk', { stack: 'peer' }) };
const gr = { salesos: sel('get_rate', { stack: 'salesos' }), peer: sel('get_rate', { stack: 'peer' }) };
if (gw.salesos.length || gw.peer.length) {
  const s = median(col(gw.salesos, (r) => r.data.rps)), q = median(col(gw.peer, (r) => r.data.rps));
  row(`GET /api/v1/auth/me, req/s (wrk, ${meta.connections} connections)`, mmm(col(gw.salesos, (r) => r.data.rps), fmtN),
    mmm(col(gw.peer, (r) => r.data.rps), fmtN), s, q, true, 'static file req/s', L.http);
  row('… p50 at that load', mmm(col(gw.salesos, (r) => r.data.p50), fmtMs), mmm(col(gw.peer, (r) => r.data.p50), fmtMs),
    median(col(gw.salesos, (r) => r.data.p50)), median(col(gw.peer, (r) => r.data.p50)), false);
  row('… p99 at that load', mmm(col(gw.salesos, (r) => r.data.p99), fmtMs), mmm(col(gw.peer, (r) => r.data.p99), fmtMs),
    median(col(gw.salesos, (r) => r.data.p99)), median(col(gw.peer, (r) => r.data.p99)), false);
  goals.push(`| GET ≥ 10× the peer's req/s | ${adv(s, q, true)} | ${goal(Number.isFinite(s / q) ? s / q >= 10 : null)} |`);
}
if (gr.salesos.length || gr.peer.length) {
  row(`GET /me p99 at a fixed ${fmtN(meta.getRate)} req/s (open loop)`, mmm(col(gr.salesos, (r) => r.data.p99), fmtMs),
    mmm(col(gr.peer, (r) => r.data.p99), fmtMs), median(col(gr.salesos, (r) => r.data.p99)), median(col(gr.peer, (r) => r.data.p99)), false);
  row('… p50', mmm(col(gr.salesos, (r) => r.data.p50), fmtMs), mmm(col(gr.peer, (r) => r.data.p50), fmtMs),
    median(col(gr.salesos, (r) => r.data.p50)), median(col(gr.peer, (r) => r.data.p50)), false);
}

// 2. webhooks
const wh = (stack) => {
  const byRate = new Map();
  for (const r of sel('webhook', { stack })) { if (!byRate.has(r.rate)) byRate.set(r.rate, []); byRate.get(r.rate).push(r); }
  return [...byRate.entries()].sort((a, b) => a[0] - b[0]).map(([rate, rs]) => {
    const ok = rs.filter((r) => r.data.errors === 0 && r.data.p99 <= 5 && r.data.achieved >= 0.95 * rate).length;
    return { rate, rs, held: ok > rs.length / 2 };
  });
};
const whs = { salesos: wh('salesos'), peer: wh('peer') };
if (whs.salesos.length || whs.peer.length) {
  const heldRate = (steps) => { let h = 0; for (const s of steps) { if (s.held) h = s.rate; else break; } return h; };
  const hs = heldRate(whs.salesos), hq = heldRate(whs.peer);
  const at = (steps, rate) => steps.find((s) => s.rate === rate);
  const s4 = at(whs.salesos, 4000), q4 = at(whs.peer, 4000);
  const f = (st, k) => (st ? mmm(col(st.rs, (r) => r.data[k]), fmtMs) : 'not reached');
  const m = (st, k) => (st ? median(col(st.rs, (r) => r.data[k])) : NaN);
  row('webhook ack p50 at 4,000/s', f(s4, 'p50'), f(q4, 'p50'), m(s4, 'p50'), m(q4, 'p50'), false);
  row('webhook ack p99 at 4,000/s', f(s4, 'p99'), f(q4, 'p99'), m(s4, 'p99'), m(q4, 'p99'), false);
  const heldTxt = (h, steps) => (h ? `${fmtN(h)}/s` : steps.length ? `< ${fmtN(steps[0].rate)}/s` : 'n/a');
  row('highest webhook rate held, p99 ≤ 5 ms (steps)', heldTxt(hs, whs.salesos), heldTxt(hq, whs.peer), hs || NaN, hq || NaN, true,
    'Redis XADD/s', L.xadd);
  goals.push(`| webhook ack p99 ≤ 5 ms at 4,000/s | ${s4 ? fmtMs(m(s4, 'p99')) : 'not reached'} | ${goal(s4 ? m(s4, 'p99') <= 5 && s4.held : false)} |`);
}

// 3. webhook -> client
const wsr = { salesos: sel('ws', { stack: 'salesos' }), peer: sel('ws', { stack: 'peer' }) };
if (wsr.salesos.length || wsr.peer.length) {
  for (const k of ['wsP50', 'wsP99']) {
    row(`webhook → client ${k === 'wsP50' ? 'p50' : 'p99'} at ${fmtN(meta.wsRate)}/s (/ws vs Socket.IO)`, mmm(col(wsr.salesos, (r) => r.data[k]), fmtMs),
      mmm(col(wsr.peer, (r) => r.data[k]), fmtMs), median(col(wsr.salesos, (r) => r.data[k])), median(col(wsr.peer, (r) => r.data[k])), false);
  }
  const s99 = median(col(wsr.salesos, (r) => r.data.wsP99));
  const lost = wsr.salesos.reduce((a, r) => a + r.data.missing + r.data.errors, 0);
  goals.push(`| webhook → WebSocket p99 ≤ 15 ms at ${fmtN(meta.wsRate)}/s | ${fmtMs(s99)}${lost ? `, ${lost} lost or failed` : ''} | ${goal(Number.isFinite(s99) ? s99 <= 15 && !lost : null)} |`);
}

// 4. fan-out
const fo = { salesos: sel('fanout', { stack: 'salesos' })[0], peer: sel('fanout', { stack: 'peer' })[0] };
if (fo.salesos || fo.peer) {
  const runs = (x, get) => (x ? x.data.runs.map(get) : []);
  const bs = runs(fo.salesos, (r) => r.burst.perS), bq = runs(fo.peer, (r) => r.burst.perS);
  row(`fan-out to ${fmtN(meta.fanoutClients)} clients: deliveries/s (burst of ${meta.fanoutBurst})`, mmm(bs, fmtN), mmm(bq, fmtN), median(bs), median(bq), true,
    'static file req/s', L.http);
  const ps = runs(fo.salesos, (r) => r.paced.p99), pq = runs(fo.peer, (r) => r.paced.p99);
  row(`… delivery p99 at ${meta.fanoutRate} msg/s (${fmtN(meta.fanoutRate * meta.fanoutClients)} deliveries/s)`, mmm(ps, fmtMs), mmm(pq, fmtMs), median(ps), median(pq), false);
  const bps = runs(fo.salesos, (r) => r.burst.p99), bpq = runs(fo.peer, (r) => r.burst.p99);
  row('… delivery p99 in the burst', mmm(bps, fmtMs), mmm(bpq, fmtMs), median(bps), median(bpq), false);
  const ms = fo.salesos ? fo.salesos.data.perConnKiB : NaN, mq = fo.peer ? fo.peer.data.perConnKiB : NaN;
  row('memory per idle connection (server RSS delta / clients)', `${fmtN(ms, 1)} KiB`, `${fmtN(mq, 1)} KiB`, ms, mq, false);
  goals.push(`| fan-out ≥ 3× Socket.IO (deliveries/s) | ${adv(median(bs), median(bq), true)} | ${goal(Number.isFinite(median(bs) / median(bq)) ? median(bs) / median(bq) >= 3 : null)} |`);
}

// 5. broadcasts
const bc = sel('broadcast');
if (bc.length) {
  table.push(`| broadcast: queue 100,000 recipients | ${mmm(col(bc, (r) => r.queueS), (x) => `${x.toFixed(2)} s`)} (${fmtN(median(col(bc, (r) => r.queuePerS)))}/s) | no broadcasts | — | SQLite commits/s: ${fmtN(L.sqlite)} | (batched) |`);
  table.push(`| broadcast: sustained send rate (1,000/s asked, 5 ms a send) | ${mmm(col(bc, (r) => r.sendPerS), (x) => `${x.toFixed(1)}/s`)} | no broadcasts | — | — | — |`);
}

p('| measure | SalesOS | Node peer | SalesOS × | limit | of limit |');
p('|---|---|---|---|---|---|');
table.forEach((t) => p(t));
p();

// 6. memory
const rss = sel('rss');
if (rss.length) {
  const procs = [...new Set(rss.map((r) => r.process))];
  const phases = [...new Set(rss.map((r) => r.phase))];
  const get = (proc, phase) => { const r = rss.find((x) => x.process === proc && x.phase === phase); return r ? r.kib / 1024 : NaN; };
  const label = { idle: 'idle', 'load-salesos': 'under load 1 (SalesOS GET)', 'load-peer': 'under load 1 (peer GET)', end: 'after all measures' };
  p(`RSS (VmRSS, MiB) of every process; the SalesOS processes share their libraries' pages (bench/run.sh's table splits RSS and PSS). Redis not counted.`);
  p();
  p(`| process | ${phases.map((x) => label[x] || x).join(' | ')} | idle ≤ 20 MiB |`);
  p(`|---|${phases.map(() => '---').join('|')}|---|`);
  let total = 0, allOk = true;
  for (const proc of procs) {
    const idle = get(proc, 'idle');
    if (proc !== 'peer') { total += idle; if (!(idle <= 20)) allOk = false; }
    p(`| ${proc === 'peer' ? 'Node peer (1 process)' : proc} | ${phases.map((ph) => fmtN(get(proc, ph), 1)).join(' | ')} | ${proc === 'peer' ? '—' : goal(idle <= 20)} |`);
  }
  p(`| SalesOS total (7 processes) | ${fmtN(total, 1)} | ${phases.slice(1).map(() => '').join(' | ')} | |`);
  p();
  goals.push(`| ≤ 20 MiB idle per service | max ${fmtN(Math.max(...procs.filter((x) => x !== 'peer').map((x) => get(x, 'idle'))), 1)} MiB | ${goal(allOk)} |`);
}

// webhook steps
if (whs.salesos.length || whs.peer.length) {
  p(`Webhook steps (open loop, ${meta.webhookDuration} s a run, 32 connections, 100 customers, unique mids): ack p50 / p99, median of the runs; ` +
    `held = most runs with p99 ≤ 5 ms, no error and ≥ 95 % of the rate sent. SalesOS acknowledges once the message is in ` +
    '`salesos:inbound`; **drain** is how long conversation then took to store and publish the backlog (the peer stores before it answers).');
  p();
  p('| rate | SalesOS ack p50 / p99 | held | drain after a run | SalesOS CPU | peer ack p50 / p99 | held | peer CPU | generator CPU |');
  p('|---|---|---|---|---|---|---|---|---|');
  const rates = [...new Set([...whs.salesos, ...whs.peer].map((s) => s.rate))].sort((a, b) => a - b);
  for (const rate of rates) {
    const s = whs.salesos.find((x) => x.rate === rate), q = whs.peer.find((x) => x.rate === rate);
    const lat = (st) => (st ? `${fmtMs(median(col(st.rs, (r) => r.data.p50)))} / ${fmtMs(median(col(st.rs, (r) => r.data.p99)))}${st.rs.some((r) => r.data.errors) ? ' (errors)' : ''}` : '—');
    const cpu = (st) => (st ? `${fmtN(median(col(st.rs, (r) => r.stackCpu)))} %` : '—');
    p(`| ${fmtN(rate)}/s | ${lat(s)} | ${s ? (s.held ? 'yes' : 'no') : '—'} | ${s ? `${median(col(s.rs, (r) => r.drainS)).toFixed(1)} s` : '—'} | ${cpu(s)} | ${lat(q)} | ${q ? (q.held ? 'yes' : 'no') : '—'} | ${cpu(q)} | ${fmtN(median(col([...(s ? s.rs : []), ...(q ? q.rs : [])], (r) => r.genCpu)))} % |`);
  }
  p();
}

// CPU
const cpuRows = [];
const cpuOf = (rs, label, perReq) => {
  if (!rs.length) return;
  const st = median(col(rs, (r) => r.stackCpu)), g = median(col(rs, (r) => r.genCpu));
  const reqs = perReq ? median(rs.map(perReq)) : NaN;
  cpuRows.push(`| ${label} | ${fmtN(st)} % | ${Number.isFinite(reqs) ? fmtN(st / 100 / reqs * 1e6) + ' µs' : '—'} | ${fmtN(g)} % |`);
};
for (const stack of ['salesos', 'peer']) {
  const name = stack === 'salesos' ? 'SalesOS' : 'peer';
  cpuOf(gw[stack], `${name}: GET /me, wrk`, (r) => r.data.rps);
  cpuOf(gr[stack], `${name}: GET /me at ${fmtN(meta.getRate)}/s`, (r) => r.data.achieved);
  cpuOf(wsr[stack], `${name}: webhook → client at ${fmtN(meta.wsRate)}/s`, (r) => r.data.achieved);
  if (fo[stack]) cpuRows.push(`| ${name}: fan-out (connect, paced, burst) | ${fmtN(fo[stack].stackCpu)} % | — | ${fmtN(fo[stack].genCpu)} % |`);
}
if (cpuRows.length) {
  p('CPU during the measures, in % of one core (the machine has ' + meta.cpus + '): the stack (SalesOS: gateway + six services; peer: its one process; ' +
    'Redis not counted), CPU per request, and the load generator\'s own (wrk or the Node clients in bench/clients).');
  p();
  p('| measure | stack CPU | stack CPU per request | load generator CPU |');
  p('|---|---|---|---|');
  cpuRows.forEach((r) => p(r));
  p();
}

// limits
if (sel('limit_http').length || sel('limit_redis').length || sel('limit_sqlite').length || sel('limit_pg').length) {
  p('The machine\'s limits, measured in the same run after both stacks were stopped:');
  p();
  p('| ceiling | median (min–max) |');
  p('|---|---|');
  const lh = sel('limit_http');
  if (lh.length) p(`| HTTP: wrk (${meta.connections} connections, ${meta.threads} threads) against bench/limits/static_server.c serving /me's body, req/s | ${mmm(col(lh, (r) => r.data.rps), fmtN)} (p99 ${fmtMs(median(col(lh, (r) => r.data.p99)))}, wrk ${fmtN(median(col(lh, (r) => r.genCpu)))} % CPU) |`);
  for (const cmd of ['PUBLISH', 'XADD']) {
    const rs = sel('limit_redis', { cmd });
    if (rs.length) p(`| Redis ${cmd} of 300 bytes, redis-benchmark, 50 clients, no pipelining, Unix socket, /s | ${mmm(col(rs, (r) => r.rps), fmtN)} |`);
  }
  const sq = sel('limit_sqlite');
  if (sq.length) p(`| SQLite single-row INSERT commits (WAL, synchronous=NORMAL as libs/store), sqlite3 CLI, /s | ${mmm(col(sq, (r) => r.rps), fmtN)} |`);
  const skipped = sel('limit_pg').find((r) => r.skipped);
  if (skipped) p(`| PostgreSQL | skipped: ${skipped.skipped} |`);
  for (const c of [1, 8]) {
    const rs = sel('limit_pg', { clients: c });
    if (rs.length) p(`| PostgreSQL single-row INSERT commits (defaults: fsync, synchronous_commit on), pgbench, ${c} client${c > 1 ? 's' : ''}, /s | ${mmm(col(rs, (r) => r.rps), fmtN)} |`);
  }
  p();
}

if (goals.length) {
  p('| goal (issue 12, 2 cores) | SalesOS | |');
  p('|---|---|---|');
  goals.forEach((g) => p(g));
  p();
}

p('Notes. The peer (bench/peers/node: Express 5, jsonwebtoken HS256, bcryptjs, Socket.IO 4 with @socket.io/redis-adapter, ioredis; one process, no cluster) keeps its documents in Redis because MongoDB is not available here: one Redis GET where the original ran a MongoDB query, which favours the peer. ' +
  'SalesOS runs as `./salesos up` runs it (access log on, rate limiter on: every request charged in Redis, in reserved batches, SQLite), with the AI debounce at 60 s so that neither side generates AI replies during the measures. ' +
  'Every load generator runs on the same cores as the stacks (their CPU is in the table above); open-loop latencies count from when each request was due. ' +
  `Fan-out clients are one Node process (${meta.fanoutClients} sockets): when its CPU nears 100 % the deliveries/s are the client's limit, not the server's.`);

process.stdout.write(out.join('\n') + '\n');
