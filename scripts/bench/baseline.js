#!/usr/bin/env node
// The yardstick for `npm run bench`: the smallest honest server that does the gateway's
// authenticated work. Node's http module, jsonwebtoken with a KeyObject, and one prepared
// statement per request (better-sqlite3 on a WAL database, or one named pg statement):
//   PUT /api/models/{id}      the body checked, the caller's row updated and returned;
//   GET /api/models/{id}      one row, if the caller may see it (theirs, or shared and active);
//   GET /api/models?limit=50  the first rows (by id) the caller may see, as a JSON array.
// Rows are answered with the REST API's keys. No framework, no ORM, no GraphQL: what is left is
// the work any implementation must do, so the gateway's distance from it is its overhead.
//
// It skips what the contract adds on top (the no-op rule, the 412/409/403 cases, api_key
// handling): bench requests never hit those, and the gateway still pays for checking them.
//
//   PORT=5000 DATABASE_URL=file:/tmp/models.db JWT_SECRET=... node scripts/bench/baseline.js
'use strict';
const http = require('node:http');
const { URLSearchParams } = require('node:url');
const { createSecretKey } = require('node:crypto');
const jwt = require('jsonwebtoken');

const MAX_BODY_BYTES = 1024 * 1024;
const port = Number(process.env.PORT || 5000);
const host = process.env.HOST || '127.0.0.1';
const databaseUrl = process.env.DATABASE_URL;
const secret = process.env.JWT_SECRET;
if (!databaseUrl || !secret) {
  process.stderr.write('baseline: DATABASE_URL and JWT_SECRET are required\n');
  process.exit(1);
}
const key = createSecretKey(Buffer.from(secret, 'utf8'));

const COLUMNS =
  'id, model_id, category, model_provider, model_name, base_url, temperature, dimension, abilities, description, created_at, updated_at, is_active, is_shared, owner_id';

/** Returns the updated row, or undefined when the model does not exist or is not the caller's. */
function openSqlite(file) {
  const Database = require('better-sqlite3');
  const db = new Database(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const update = db.prepare(
    `UPDATE models SET temperature = ?, description = ?, version = version + 1, updated_at = ?
     WHERE model_id = ? AND (owner_id = ? OR ?) RETURNING ${COLUMNS}, version`,
  );
  // The gateway's visibility rule: the caller's own rows, shared active rows, every row for an admin.
  const getOne = db.prepare(
    `SELECT ${COLUMNS}, version FROM models WHERE model_id = ? AND (owner_id = ? OR (is_shared = 1 AND is_active = 1) OR ?)`,
  );
  const list = db.prepare(
    `SELECT ${COLUMNS}, version FROM models WHERE owner_id = ? OR (is_shared = 1 AND is_active = 1) OR ? ORDER BY id LIMIT ?`,
  );
  return {
    getOne: async (modelId, c) => getOne.get(modelId, c.sub, c.isAdmin ? 1 : 0),
    list: async (c, limit) => list.all(c.sub, c.isAdmin ? 1 : 0, limit),
    // Stored as Prisma stores DateTime in SQLite, so both servers work on identical rows. all(),
    // not get(): an UPDATE ... RETURNING stopped after one row skips the WAL auto-checkpoint.
    update: async (m, c, now) =>
      update.all(m.temperature, m.description, now.toISOString().replace('Z', '+00:00'), m.modelId, c.sub, c.isAdmin ? 1 : 0)[0],
    close: async () => db.close(),
    decode: (row) => ({
      ...row,
      abilities: row.abilities === null ? null : JSON.parse(row.abilities),
      created_at: new Date(row.created_at).toISOString(),
      updated_at: new Date(row.updated_at).toISOString(),
      is_active: row.is_active === 1,
      is_shared: row.is_shared === 1,
    }),
  };
}

function openPostgres(url) {
  const pg = require('pg');
  const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DATABASE_POOL_MAX || 10) });
  pool.on('error', () => {});
  const text = `UPDATE models SET temperature = $1, description = $2, version = version + 1, updated_at = $3
     WHERE model_id = $4 AND (owner_id = $5 OR $6) RETURNING ${COLUMNS}, version`;
  const visible = '(owner_id = $%1 OR (is_shared AND is_active) OR $%2)';
  const getOneText = `SELECT ${COLUMNS}, version FROM models WHERE model_id = $1 AND ${visible.replace('%1', '2').replace('%2', '3')}`;
  const listText = `SELECT ${COLUMNS}, version FROM models WHERE ${visible.replace('%1', '1').replace('%2', '2')} ORDER BY id LIMIT $3`;
  return {
    // A named statement: pg prepares it once per connection and then only binds and executes.
    update: async (m, c, now) =>
      (await pool.query({ name: 'update_model', text, values: [m.temperature, m.description, now, m.modelId, c.sub, c.isAdmin] })).rows[0],
    getOne: async (modelId, c) => (await pool.query({ name: 'get_model', text: getOneText, values: [modelId, c.sub, c.isAdmin] })).rows[0],
    list: async (c, limit) => (await pool.query({ name: 'list_models', text: listText, values: [c.sub, c.isAdmin, limit] })).rows,
    close: () => pool.end(),
    decode: (row) => ({ ...row, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() }),
  };
}

const store = /^postgres(ql)?:\/\//.test(databaseUrl) ? openPostgres(databaseUrl) : openSqlite(databaseUrl.replace(/^file:/, ''));

function send(res, status, body, headers) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function authenticate(header) {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header || '');
  if (!match) return null;
  try {
    const payload = jwt.verify(match[1], key, { algorithms: ['HS256'], clockTolerance: 5 });
    if (typeof payload !== 'object' || typeof payload.exp !== 'number' || typeof payload.sub !== 'string' || !payload.sub) return null;
    return { sub: payload.sub, isAdmin: Array.isArray(payload.roles) && payload.roles.includes('admin') };
  } catch {
    return null;
  }
}

/** The body's fields the bench sends, checked as the gateway checks them; a string when refused. */
function parsePatch(text) {
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return 'JSON decode error';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be an object';
  const { temperature, description } = body;
  if (temperature !== null && (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0 || temperature > 2)) {
    return 'temperature must be a number from 0 to 2';
  }
  if (description !== null && (typeof description !== 'string' || description.length > 4000)) return 'description too long';
  return { temperature: temperature ?? null, description: description ?? null };
}

const ROUTE = /^\/api\/models\/([^/?]+)$/;
const LIST_ROUTE = /^\/api\/models(?:\?(.*))?$/;

/** A row as the REST API answers it, for this caller. */
function restBody(row, caller) {
  const model = store.decode(row);
  const isOwner = model.owner_id === caller.sub;
  const { owner_id: _owner, version: _version, ...fields } = model;
  const canEdit = isOwner || caller.isAdmin;
  return { ...fields, is_owner: isOwner, can_edit: canEdit, can_delete: canEdit };
}

function refuseCaller(res) {
  send(res, 401, { detail: 'Could not validate credentials' }, { 'WWW-Authenticate': 'Bearer' });
}

async function answer(res, work) {
  try {
    await work();
  } catch (err) {
    process.stderr.write(`baseline: ${err && err.message}\n`);
    send(res, 500, { detail: 'Internal Server Error' });
  }
}

function read(req, res) {
  const caller = authenticate(req.headers.authorization);
  if (!caller) return refuseCaller(res);
  const one = ROUTE.exec(req.url || '');
  if (one) {
    return answer(res, async () => {
      const row = await store.getOne(decodeURIComponent(one[1]), caller);
      if (!row) return send(res, 404, { detail: 'Model not found' });
      send(res, 200, restBody(row, caller), { ETag: `"${row.version}"` });
    });
  }
  const query = new URLSearchParams(LIST_ROUTE.exec(req.url || '')[1] || '');
  const limit = query.has('limit') ? Number(query.get('limit')) : 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return send(res, 422, { detail: [{ loc: ['query', 'limit'], msg: 'limit' }] });
  return answer(res, async () =>
    send(
      res,
      200,
      (await store.list(caller, limit)).map((row) => restBody(row, caller)),
    ),
  );
}

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') return send(res, 200, { status: 'ok' });
  const url = req.url || '';
  if (req.method === 'GET' && (ROUTE.test(url) || LIST_ROUTE.test(url))) return read(req, res);
  const route = ROUTE.exec(url);
  if (!route || req.method !== 'PUT') return send(res, 404, { detail: 'Not Found' });
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) return send(res, 413, { detail: 'Request body too large' });
    const caller = authenticate(req.headers.authorization);
    if (!caller) return refuseCaller(res);
    const patch = parsePatch(Buffer.concat(chunks).toString('utf8'));
    if (typeof patch === 'string') return send(res, 422, { detail: [{ loc: ['body'], msg: patch }] });
    return answer(res, async () => {
      const row = await store.update({ ...patch, modelId: decodeURIComponent(route[1]) }, caller, new Date());
      if (!row) return send(res, 404, { detail: 'Model not found' });
      send(res, 200, restBody(row, caller), { ETag: `"${row.version}"` });
    });
  });
});

server.keepAliveTimeout = 65_000;
server.listen(port, host, () => process.stdout.write(`baseline listening on ${host}:${port}\n`));
const stop = () => server.close(() => store.close().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
