/**
 * Graceful shutdown (SQLite): on SIGTERM or SIGINT the gateway stops taking new connections,
 * answers /readyz 503 while it drains (when a request can still reach it), lets the requests
 * already in flight finish and store their writes, closes the database and exits with code 0.
 *
 * Two ways to have a request in flight when the signal arrives:
 * - the test holds the SQLite write lock (`BEGIN IMMEDIATE` with better-sqlite3), so the server's
 *   UPDATE waits on its busy timeout; the signal comes, then the lock is released. better-sqlite3
 *   is synchronous: the busy wait blocks the server's event loop, so the signal is only handled
 *   once the lock is gone, and the in-flight request must still complete and be stored;
 * - the request's body is still being uploaded when the signal comes (the server is idle and
 *   responsive meanwhile, so draining itself can be observed), then the rest follows.
 */
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { request } from './helpers/http';
import { startServer as startAnyServer, tempDir, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';
import { createModel, gpt4o } from './helpers/models';

const token = alice();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Row = Record<string, unknown>;

/** Always SQLite, whatever backend the rest of the suite runs on. */
async function startServer(): Promise<RunningServer & { dbFile: string }> {
  const dataDir = tempDir('model-gateway-shutdown-');
  const dbFile = path.join(dataDir, 'models.db');
  const server = await startAnyServer({ dataDir, env: { DATABASE_URL: `file:${dbFile}` } });
  return Object.assign(server, { dbFile });
}

/** The server's database file, opened read-write beside it (WAL). */
function openDb(server: { dbFile: string }): Database.Database {
  return new Database(server.dbFile);
}

function rowOf(server: { dbFile: string }, modelId: string): Row | undefined {
  const db = openDb(server);
  try {
    return db.prepare('SELECT * FROM models WHERE model_id = ?').get(modelId) as Row | undefined;
  } finally {
    db.close();
  }
}

function exitOf(server: RunningServer): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** 'refused' when nothing accepts connections on the port any more. */
async function probe(server: RunningServer, path: string): Promise<number | 'refused' | 'reset'> {
  try {
    return (await request(server.url, 'GET', path)).status;
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED') return 'refused';
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'reset';
    throw err;
  }
}

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

async function waitForLog(server: RunningServer, text: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!server.logs().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in the log within ${timeoutMs} ms:\n${server.logs()}`);
    await sleep(10);
  }
}

const servers: RunningServer[] = [];

afterAll(async () => {
  for (const server of servers) if (server.process.exitCode === null && server.process.signalCode === null) server.process.kill('SIGKILL');
});

describe.each(['SIGTERM', 'SIGINT'] as const)('%s', (signal) => {
  it('an update waiting on the SQLite write lock when the signal arrives completes with 200 and is stored; exit 0', async () => {
    const server = await startServer();
    servers.push(server);
    const modelId = `shutdown-lock-${signal}`;
    await createModel(server, gpt4o(modelId, { description: 'before' }), { token });
    const exited = exitOf(server);

    // Hold the write lock: the server can read (WAL) but its UPDATE waits on the busy timeout (5 s).
    const locker = openDb(server);
    locker.exec('BEGIN IMMEDIATE');
    let released = false;
    try {
      const update = request(server.url, 'PUT', `/api/models/${modelId}`, { token, body: { description: `written across ${signal}` } });
      // Give the request time to reach the UPDATE, then signal while it is still waiting.
      await sleep(400);
      expect(rowOf(server, modelId)?.version).toBe(1);
      server.process.kill(signal);
      await sleep(400);
      expect(server.process.exitCode).toBeNull(); // still draining: the request is not done
      locker.exec('COMMIT');
      released = true;

      const res = await update;
      expect(res.status).toBe(200);
      expect(res.body.description).toBe(`written across ${signal}`);
      expect(res.headers.get('etag')).toBe('"2"');
    } finally {
      if (!released) locker.exec('ROLLBACK');
      locker.close();
    }

    expect(await exited).toEqual({ code: 0, signal: null });
    expect(await connectRefused(server.port)).toBe(true);
    // The write is stored (read after the process closed its database).
    expect(rowOf(server, modelId)).toEqual(expect.objectContaining({ version: 2, description: `written across ${signal}` }));
    expect(server.logs()).toContain('shutting down');
    expect(server.logs()).not.toMatch(/"level":(50|60)|shutdown failed/);
  }, 20000);

  it('a request whose body is still uploading when the signal arrives: new connections refused while it drains, /readyz never ready, the request completes; exit 0', async () => {
    const server = await startServer();
    servers.push(server);
    const modelId = `shutdown-upload-${signal}`;
    await createModel(server, gpt4o(modelId, { description: 'before' }), { token });
    expect(await probe(server, '/readyz')).toBe(200);
    const exited = exitOf(server);

    const body = Buffer.from(JSON.stringify({ description: `uploaded across ${signal}`, temperature: 0.25 }));
    const half = Math.floor(body.length / 2);
    let finish: () => void = () => {};
    const response = new Promise<{ status: number; text: string; etag: string | undefined }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          method: 'PUT',
          path: `/api/models/${modelId}`,
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': body.length },
          agent: false,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text, etag: res.headers.etag }));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, half));
      // The rest follows once the server is draining (below).
      finish = () => req.end(body.subarray(half));
    });
    await sleep(200); // the request's headers have arrived: it is in flight

    server.process.kill(signal);
    await waitForLog(server, 'shutting down');
    // While the request is in flight the process keeps running, but takes no new connections;
    // a probe that still gets through must find it not ready.
    const seen: (number | string)[] = [];
    for (let i = 0; i < 10; i++) {
      seen.push(await probe(server, '/readyz'));
      await sleep(20);
    }
    expect(seen.every((s) => s === 503 || s === 'refused' || s === 'reset')).toBe(true);
    expect(seen[seen.length - 1]).toBe('refused');
    expect(await connectRefused(server.port)).toBe(true);
    expect(server.process.exitCode).toBeNull();

    finish();
    const res = await response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual(expect.objectContaining({ description: `uploaded across ${signal}`, temperature: 0.25 }));
    expect(res.etag).toBe('"2"');

    expect(await exited).toEqual({ code: 0, signal: null });
    expect(rowOf(server, modelId)).toEqual(
      expect.objectContaining({ version: 2, description: `uploaded across ${signal}`, temperature: 0.25 }),
    );
    expect(server.logs()).not.toMatch(/"level":(50|60)|shutdown failed/);
  }, 20000);

  it('an idle gateway exits with 0 right away', async () => {
    const server = await startServer();
    servers.push(server);
    // An idle keep-alive connection must not hold the shutdown up.
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port: server.port, path: '/healthz', agent }, (res) => res.resume().on('end', resolve))
        .on('error', reject),
    );
    const started = Date.now();
    expect(await server.stop(signal)).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    agent.destroy();
    expect(await connectRefused(server.port)).toBe(true);
  }, 20000);
});
