// The PostgreSQL side of the synchronous test-database facade (test/helpers/pg-sync.ts).
//
// Plain JavaScript on purpose: it runs in a worker_threads worker, outside jest and ts-jest.
// The main thread posts one request at a time on `port` and blocks on `Atomics.wait(flag)`;
// this worker runs the query with `pg`, posts the reply (carrying the request's id), then sets
// the flag and notifies. The main thread reads the reply with `receiveMessageOnPort`, without an
// event loop turn, polling briefly when the flag is seen before the reply (it happens under load).
//
// Rows come back as the SQLite database of the same service would give them to better-sqlite3:
// booleans as 1/0, timestamps as the text the Prisma SQLite adapter writes
// (`2026-11-26T14:22:54.724+00:00`), JSON as compact JSON text, integers as numbers.
'use strict';

const { workerData } = require('node:worker_threads');
const { Client, types } = require('pg');

const { url, schema, port, flag: sharedFlag } = workerData;
const flag = new Int32Array(sharedFlag);

const OID = { bool: 16, int8: 20, json: 114, numeric: 1700, timestamp: 1114, timestamptz: 1184, jsonb: 3802 };

function sqliteTimestamp(value) {
  const date = value instanceof Date ? value : new Date(value);
  return date.toISOString().replace(/Z$/, '+00:00');
}

function toNumber(text) {
  const value = Number(text);
  return Number.isSafeInteger(value) || !Number.isInteger(value) ? value : text;
}

const defaultParser = (oid) => types.getTypeParser(oid, 'text');
const parsers = {
  [OID.bool]: (text) => (text === 't' ? 1 : 0),
  [OID.int8]: toNumber,
  [OID.numeric]: toNumber,
  [OID.json]: (text) => JSON.stringify(JSON.parse(text)),
  [OID.jsonb]: (text) => JSON.stringify(JSON.parse(text)),
  [OID.timestamptz]: (text) => sqliteTimestamp(defaultParser(OID.timestamptz)(text)),
  [OID.timestamp]: (text) => sqliteTimestamp(defaultParser(OID.timestamp)(text)),
};
const rowTypes = {
  getTypeParser(oid, format) {
    if (format === 'text' && parsers[oid]) return parsers[oid];
    return types.getTypeParser(oid, format);
  },
};

const client = new Client({ connectionString: url, types: rowTypes, application_name: 'model-gateway-tests' });
let lastError = null;
client.on('error', (err) => {
  lastError = err; // a dropped connection: the next query reports it
});
const connected = client.connect().then(async () => {
  if (schema) await client.query(`SET search_path TO "${schema.replace(/"/g, '""')}"`);
});
// Reported by the first query; never an unhandled rejection.
connected.catch(() => {});

function reply(message) {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

function bindable(value) {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 1 : 0; // better-sqlite3 refuses booleans; be lenient
  return value;
}

port.on('message', async (request) => {
  if (request.type === 'close') {
    try {
      await client.end();
    } catch {
      // already gone
    }
    reply({ id: request.id, ok: true });
    port.close();
    return;
  }
  try {
    await connected;
    if (lastError) throw lastError;
    const result = await client.query({ text: request.sql, values: (request.params || []).map(bindable) });
    reply({ id: request.id, ok: true, rows: result.rows || [], rowCount: result.rowCount ?? 0 });
  } catch (err) {
    reply({ id: request.id, ok: false, error: { message: err && err.message ? err.message : String(err), code: err && err.code } });
  }
});
