'use strict';
// The peer SalesOS is measured against (bench/README.md, "Side by side"): the original's stack —
// Express 5, jsonwebtoken, bcryptjs, Socket.IO 4 with @socket.io/redis-adapter, ioredis — reduced
// to the routes bench/compare.sh measures, written the way that codebase wrote them. One process
// (no cluster), as the original ran. MongoDB is not available on the bench machine, so documents
// live in Redis as JSON strings (one GET where Mongoose would run a findById over the network to
// mongod): this favours the peer.
//
// Routes (JSON shapes as SalesOS answers them where the bench reads them):
//   POST /api/v1/auth/register  {email,password,name,businessName} -> {accessToken,refreshToken,expiresIn,user,workspace}
//   POST /api/v1/auth/login     {email,password}                   -> the same
//   GET  /api/v1/auth/me        Bearer JWT -> {user,workspace}      (reads both from Redis)
//   POST /api/v1/integrations   {platform:"facebook",pageId,pageAccessToken,pageName} -> {id,...}
//   GET  /api/v1/campaigns      -> {campaigns:[...],nextPageToken:""}   POST creates one
//   POST /webhooks/meta         X-Hub-Signature-256 over the raw body; each customer message is
//                               deduped, stored, emitted to the workspace's room; then 200
//   GET  /healthz
//   Socket.IO on /socket.io/: handshake auth {token}; the socket joins `workspace:<id>` and gets
//   `ready`; events are emitted as "event" with the same object SalesOS's /ws sends.
//
// Environment: PEER_HOST (127.0.0.1), PEER_PORT (0), PEER_PORT_FILE (written once listening),
// REDIS_PATH (unix socket) or REDIS_URL, JWT_SECRET, META_APP_SECRET, BCRYPT_ROUNDS (10).

const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const express = require('express');
const jwt = require('jsonwebtoken');
const bcrypt = require('bcryptjs');
const Redis = require('ioredis');
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');

const JWT_SECRET = process.env.JWT_SECRET || crypto.randomBytes(32).toString('hex');
const META_APP_SECRET = process.env.META_APP_SECRET || '';
const BCRYPT_ROUNDS = Number(process.env.BCRYPT_ROUNDS || 10);
const ACCESS_TTL_S = 900;

function redisClient() {
  if (process.env.REDIS_PATH) return new Redis({ path: process.env.REDIS_PATH, lazyConnect: false });
  return new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
}
const redis = redisClient();

let seq = 0;
const newId = () => crypto.randomUUID();
const nowIso = () => new Date().toISOString();

class HttpError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}
const wrap = (fn) => (req, res, next) => fn(req, res, next).catch(next);

function publicUser(u) {
  return { id: u.id, email: u.email, name: u.name, role: u.role, onboardingCompleted: !!u.onboardingCompleted };
}

async function issueTokens(user, workspace) {
  const accessToken = jwt.sign({ sub: user.id, wid: workspace.id, role: user.role }, JWT_SECRET,
    { algorithm: 'HS256', expiresIn: ACCESS_TTL_S });
  const refreshToken = crypto.randomBytes(32).toString('base64url');
  await redis.set(`refresh:${refreshToken}`, user.id, 'EX', 30 * 86400);
  return { accessToken, refreshToken, expiresIn: ACCESS_TTL_S, user: publicUser(user),
    workspace: { id: workspace.id, name: workspace.name } };
}

function verifyToken(token) {
  try {
    return jwt.verify(token, JWT_SECRET, { algorithms: ['HS256'] });
  } catch {
    throw new HttpError(401, 'UNAUTHENTICATED', 'invalid or expired access token');
  }
}

// The auth middleware of the original: Bearer token, verify, attach the claims.
function requireAuth(req, _res, next) {
  const h = req.get('authorization') || '';
  if (!h.startsWith('Bearer ')) return next(new HttpError(401, 'UNAUTHENTICATED', 'missing bearer token'));
  try {
    req.auth = verifyToken(h.slice(7));
    next();
  } catch (e) { next(e); }
}

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
// The raw body is kept for the webhook signature (the usual `verify` hook of express.json).
app.use(express.json({ limit: '1mb', verify: (req, _res, buf) => { req.rawBody = buf; } }));

app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));

app.post('/api/v1/auth/register', wrap(async (req, res) => {
  const { email, password, name, businessName } = req.body || {};
  if (typeof email !== 'string' || !email.includes('@') || email.length > 254 ||
      typeof password !== 'string' || password.length < 10 || password.length > 128 ||
      typeof name !== 'string' || !name || typeof businessName !== 'string' || !businessName) {
    throw new HttpError(400, 'INVALID_ARGUMENT', 'email, password (10 to 128 characters), name and businessName are required');
  }
  const key = `user:email:${email.toLowerCase()}`;
  const user = { id: newId(), email: email.toLowerCase(), name, role: 'owner', onboardingCompleted: false };
  if (!(await redis.set(key, user.id, 'NX'))) throw new HttpError(409, 'ALREADY_EXISTS', 'this email is already registered');
  const workspace = { id: newId(), name: businessName, ownerId: user.id, createdAt: nowIso() };
  user.workspaceId = workspace.id;
  user.passwordHash = await bcrypt.hash(password, BCRYPT_ROUNDS);
  user.createdAt = nowIso();
  await redis.multi().set(`user:${user.id}`, JSON.stringify(user))
    .set(`workspace:${workspace.id}`, JSON.stringify(workspace)).exec();
  res.json(await issueTokens(user, workspace));
}));

app.post('/api/v1/auth/login', wrap(async (req, res) => {
  const { email, password } = req.body || {};
  if (typeof email !== 'string' || typeof password !== 'string') throw new HttpError(400, 'INVALID_ARGUMENT', 'email and password are required');
  const id = await redis.get(`user:email:${email.toLowerCase()}`);
  const user = id && JSON.parse(await redis.get(`user:${id}`));
  if (!user || !(await bcrypt.compare(password, user.passwordHash))) throw new HttpError(401, 'UNAUTHENTICATED', 'wrong email or password');
  const workspace = JSON.parse(await redis.get(`workspace:${user.workspaceId}`));
  res.json(await issueTokens(user, workspace));
}));

app.get('/api/v1/auth/me', requireAuth, wrap(async (req, res) => {
  // One round trip for both documents (SalesOS runs one SQL query for the two).
  const [u, w] = await redis.mget(`user:${req.auth.sub}`, `workspace:${req.auth.wid}`);
  if (!u || !w) throw new HttpError(401, 'UNAUTHENTICATED', 'the user no longer exists');
  const workspace = JSON.parse(w);
  res.json({ user: publicUser(JSON.parse(u)), workspace: { id: workspace.id, name: workspace.name } });
}));

app.post('/api/v1/integrations', requireAuth, wrap(async (req, res) => {
  const { platform, pageId, pageAccessToken, pageName } = req.body || {};
  if (platform !== 'facebook' || typeof pageId !== 'string' || !pageId || typeof pageAccessToken !== 'string') {
    throw new HttpError(400, 'INVALID_ARGUMENT', 'platform "facebook", pageId and pageAccessToken are required');
  }
  const integration = { id: newId(), platform, externalId: pageId, name: pageName || '', status: 'connected',
    workspaceId: req.auth.wid, connectedAt: nowIso() };
  await redis.multi().set(`integration:${integration.id}`, JSON.stringify({ ...integration, token: pageAccessToken }))
    .set(`channel:facebook:${pageId}`, req.auth.wid).exec();
  res.json(integration);
}));

app.get('/api/v1/campaigns', requireAuth, wrap(async (req, res) => {
  const pageSize = Math.min(Math.max(Number(req.query.pageSize) || 50, 1), 200);
  const rows = await redis.lrange(`campaigns:${req.auth.wid}`, 0, pageSize - 1);
  res.json({ campaigns: rows.map((r) => JSON.parse(r)), nextPageToken: '' });
}));

app.post('/api/v1/campaigns', requireAuth, wrap(async (req, res) => {
  const { name, description = '', platforms = [] } = req.body || {};
  if (typeof name !== 'string' || !name) throw new HttpError(400, 'INVALID_ARGUMENT', 'name is required');
  const c = { id: newId(), workspaceId: req.auth.wid, name, description, platforms, status: 'draft',
    createdAt: nowIso(), updatedAt: nowIso() };
  await redis.lpush(`campaigns:${req.auth.wid}`, JSON.stringify(c));
  res.json(c);
}));

// --- Meta webhook ---------------------------------------------------------------------------

function signatureOk(req) {
  const header = req.get('x-hub-signature-256') || '';
  if (!META_APP_SECRET || !header.startsWith('sha256=') || !req.rawBody) return false;
  const expected = crypto.createHmac('sha256', META_APP_SECRET).update(req.rawBody).digest();
  const given = Buffer.from(header.slice(7), 'hex');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

// Messenger / Instagram `messaging` items and WhatsApp `changes[].value.messages`, as
// { platform, channelId, customerId, mid, text, ts }.
function customerMessages(body) {
  const out = [];
  if (!body || !Array.isArray(body.entry)) return out;
  for (const entry of body.entry) {
    if (body.object === 'page' || body.object === 'instagram') {
      const platform = body.object === 'page' ? 'facebook' : 'instagram';
      for (const m of entry.messaging || []) {
        if (!m.message || m.message.is_echo || !m.message.mid) continue;
        out.push({ platform, channelId: String(entry.id), customerId: String(m.sender && m.sender.id),
          mid: m.message.mid, text: m.message.text || '', ts: m.timestamp });
      }
    } else if (body.object === 'whatsapp_business_account') {
      for (const ch of entry.changes || []) {
        const v = ch.value || {};
        for (const m of v.messages || []) {
          out.push({ platform: 'whatsapp', channelId: String(v.metadata && v.metadata.phone_number_id),
            customerId: String(m.from), mid: m.id, text: (m.text && m.text.body) || '', ts: Number(m.timestamp) * 1000 });
        }
      }
    }
  }
  return out;
}

async function storeAndEmit(m) {
  const wid = await redis.get(`channel:${m.platform}:${m.channelId}`);
  if (!wid) return;                                                  // unknown channel: ignored
  if (!(await redis.set(`dedupe:${m.mid}`, '1', 'EX', 86400, 'NX'))) return;  // a redelivery
  // Find or open the contact's conversation (Mongoose's findOneAndUpdate with upsert).
  const convKey = `conversation:${wid}:${m.platform}:${m.customerId}`;
  let convId = await redis.get(convKey);
  if (!convId) {
    const fresh = newId();
    convId = (await redis.set(convKey, fresh, 'NX')) ? fresh : await redis.get(convKey);
  }
  const at = nowIso();
  const message = { id: newId(), conversationId: convId, workspaceId: wid, direction: 'inbound',
    senderType: 'customer', platform: m.platform, platformMessageId: m.mid, text: m.text,
    sentAt: new Date(m.ts || Date.now()).toISOString(), createdAt: at };
  await redis.multi()
    .set(`message:${message.id}`, JSON.stringify(message))
    .rpush(`messages:${convId}`, message.id)
    .hset(`conversationmeta:${convId}`, 'lastMessageAt', at, 'lastMessageText', m.text)
    .exec();
  io.to(`workspace:${wid}`).emit('event', { id: `${Date.now()}-${seq++}`, type: 'message.created',
    workspaceId: wid, conversationId: convId, data: message, ts: at });
}

app.get('/webhooks/meta', (req, res) => {
  if (req.query['hub.mode'] === 'subscribe' && req.query['hub.verify_token'] === process.env.META_VERIFY_TOKEN) {
    return res.type('text/plain').send(String(req.query['hub.challenge'] || ''));
  }
  res.sendStatus(403);
});

app.post('/webhooks/meta', wrap(async (req, res) => {
  if (!signatureOk(req)) throw new HttpError(401, 'UNAUTHENTICATED', 'bad signature');
  for (const m of customerMessages(req.body)) await storeAndEmit(m);
  res.status(200).send('EVENT_RECEIVED');
}));

app.use((req, _res, next) => next(new HttpError(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`)));
// eslint-disable-next-line no-unused-vars
app.use((err, req, res, _next) => {
  const status = err.status || (err.type === 'entity.parse.failed' ? 400 : 500);
  const code = err.code && typeof err.code === 'string' && status !== 500 ? err.code : (status === 400 ? 'INVALID_ARGUMENT' : 'INTERNAL');
  if (status === 500) console.error(err);
  res.status(status).json({ error: { code, message: status === 500 ? 'internal error' : err.message, details: [] } });
});

// --- HTTP server and Socket.IO --------------------------------------------------------------

const server = http.createServer(app);
server.keepAliveTimeout = 65000;
const io = new Server(server, { serveClient: false });
const sub = redis.duplicate();
io.adapter(createAdapter(redis, sub));
io.use((socket, next) => {
  try {
    socket.data.auth = verifyToken(socket.handshake.auth && socket.handshake.auth.token);
    next();
  } catch {
    next(new Error('unauthorized'));
  }
});
io.on('connection', (socket) => {
  const { sub: userId, wid } = socket.data.auth;
  socket.join(`workspace:${wid}`);
  socket.emit('ready', { type: 'ready', workspaceId: wid, userId, ts: nowIso() });
});

server.listen(Number(process.env.PEER_PORT || 0), process.env.PEER_HOST || '127.0.0.1', () => {
  const { address, port } = server.address();
  if (process.env.PEER_PORT_FILE) fs.writeFileSync(process.env.PEER_PORT_FILE, `${address}:${port}`);
  console.log(`peer listening on ${address}:${port} (pid ${process.pid})`);
});

function shutdown() {
  io.close();
  server.close(() => { redis.quit(); sub.quit(); process.exit(0); });
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
