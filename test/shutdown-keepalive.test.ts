/**
 * Graceful shutdown under keep-alive load (issue 14, item 1), on the suite's backend: clients
 * that reuse their connections write continuously while the gateway gets SIGTERM. No client
 * may see a reset: every request is either answered or refused before it was sent (a new
 * connection to the closed listener). Every acknowledged write is stored and nothing else is
 * (each client writes its own model, so its version counts exactly the writes the server ran).
 * Responses during the drain say `Connection: close`; an idle keep-alive connection is closed
 * with a FIN, not a reset.
 */
import http from 'node:http';
import net from 'node:net';
import { request } from './helpers/http';
import { startServer, type RunningServer } from './helpers/server';
import { alice } from './helpers/tokens';

const token = alice();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CLIENTS = 8;

interface Outcome {
  client: number;
  seq: number;
  /** The HTTP status, or the error code of a request that got no answer. */
  result: number | string;
  /** The response's Connection header. */
  connection: string | undefined;
  /** Answered (or failed) after the test sent SIGTERM. */
  endedAfterSignal: boolean;
}

/** One PUT on `agent`; resolves with the status or the error code, never rejects. */
function put(
  server: RunningServer,
  agent: http.Agent,
  modelId: string,
  description: string,
): Promise<{ result: number | string; connection: string | undefined }> {
  const body = JSON.stringify({ description });
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'PUT',
        path: `/api/models/${modelId}`,
        agent,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ result: res.statusCode ?? 0, connection: res.headers.connection }));
        res.on('error', (err: NodeJS.ErrnoException) => resolve({ result: err.code ?? err.message, connection: undefined }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ result: err.code ?? err.message, connection: undefined }));
    req.end(body);
  });
}

function exitOf(server: RunningServer): Promise<number | null> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

let server: RunningServer | undefined;
afterEach(async () => {
  if (server && server.process.exitCode === null && server.process.signalCode === null) server.process.kill('SIGKILL');
});

it.each(['0', '300'])(
  'SHUTDOWN_DELAY_MS=%s, SIGTERM under keep-alive write load: no reset, every acknowledged write stored, nothing else stored, drain answers say Connection: close',
  async (delay) => {
    server = await startServer({ env: { SHUTDOWN_DELAY_MS: delay } });
    const running = server;
    const ids = Array.from({ length: CLIENTS }, (_, i) => `keepalive-${i}`);
    for (const modelId of ids) {
      const res = await request(running.url, 'POST', '/api/models', {
        token,
        body: { model_id: modelId, model_provider: 'openai', model_name: 'gpt-4o', description: 'w-0' },
      });
      expect(res.status).toBe(200);
    }

    // An idle keep-alive connection, opened before the signal: it must be closed with a FIN.
    const idle = net.connect(running.port, '127.0.0.1');
    const idleEvents: string[] = [];
    await new Promise<void>((resolve) => {
      idle.once('data', () => resolve());
      idle.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    });
    idle.on('end', () => idleEvents.push('end'));
    idle.resume();
    idle.on('error', (err: NodeJS.ErrnoException) => idleEvents.push(`error ${err.code}`));
    const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));

    const exited = exitOf(running);
    let signalled = false;
    const outcomes: Outcome[] = [];
    const clients = ids.map(async (modelId, client) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let seq = 1; ; seq++) {
          const { result, connection } = await put(running, agent, modelId, `w-${seq}`);
          outcomes.push({ client, seq, result, connection, endedAfterSignal: signalled });
          if (typeof result === 'string') return; // refused: the listener is closed
        }
      } finally {
        agent.destroy();
      }
    });

    await sleep(1500);
    const before = outcomes.length;
    signalled = true;
    running.process.kill('SIGTERM');
    await Promise.all(clients);
    expect(await exited).toBe(0);
    await idleClosed;

    // Load was real on both sides of the signal.
    expect(before).toBeGreaterThan(CLIENTS * 5);
    const errors = outcomes.filter((o) => typeof o.result === 'string');
    // Never a reset: a request is answered, or refused at connect time (nothing was sent).
    expect(errors.map((o) => o.result)).toEqual(ids.map(() => 'ECONNREFUSED'));
    expect(outcomes.filter((o) => typeof o.result === 'number' && o.result !== 200)).toEqual([]);
    // Once the listener is closed every answer closes its connection: per client, once one said
    // close, all later ones do (answers during the delay, or before the signal arrived, keep it).
    for (let client = 0; client < CLIENTS; client++) {
      const answered = outcomes.filter((o) => o.client === client && o.result === 200);
      const first = answered.findIndex((o) => o.connection === 'close');
      expect(first).toBeGreaterThanOrEqual(0);
      expect(answered[first]!.endedAfterSignal).toBe(true);
      expect(answered.slice(first).map((o) => o.connection)).toEqual(answered.slice(first).map(() => 'close'));
      expect(answered.slice(0, first).every((o) => o.connection === 'keep-alive')).toBe(true);
    }
    expect(idleEvents).toEqual(['end']);

    // Stored state (read after the process closed its database): exactly the acknowledged writes.
    const db = running.db();
    try {
      for (const [client, modelId] of ids.entries()) {
        const acked = outcomes.filter((o) => o.client === client && o.result === 200);
        const last = acked[acked.length - 1]!;
        const row = db.prepare('SELECT version, description FROM models WHERE model_id = ?').get(modelId) as
          { version: number; description: string } | undefined;
        expect(row).toEqual({ version: 1 + acked.length, description: `w-${last.seq}` });
      }
    } finally {
      db.close();
    }
    expect(running.logs()).not.toMatch(/"level":(50|60)|shutdown failed/);
  },
  60000,
);
