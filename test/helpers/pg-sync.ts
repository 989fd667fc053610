/**
 * A synchronous PostgreSQL connection with the part of better-sqlite3's surface the tests use
 * (`prepare(sql).get/all/run(...params)`, `close()`), so the same assertions run on both backends.
 *
 * The queries run in a worker thread (pg-sync-worker.js, plain JavaScript so jest need not compile
 * it); the calling thread blocks on `Atomics.wait` until the worker has posted the reply, and reads
 * it with `receiveMessageOnPort`. `?` placeholders become `$1..$n`. Rows are normalized to what
 * SQLite returns (see the worker).
 */
import path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

const WORKER_FILE = path.join(__dirname, 'pg-sync-worker.js');
/** A query that takes longer than this fails the test instead of hanging it. */
const QUERY_TIMEOUT_MS = 20_000;

export interface RunInfo {
  changes: number;
}

/** A prepared statement: the subset of better-sqlite3's Statement the tests call. */
export interface TestStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): RunInfo;
}

/** A synchronous connection to a test server's database (better-sqlite3, or {@link SyncPg}). */
export interface TestDb {
  prepare(sql: string): TestStatement;
  close(): void;
}

interface Reply {
  id: number;
  ok: boolean;
  rows?: Record<string, unknown>[];
  rowCount?: number;
  error?: { message: string; code?: string };
}

/** `?` → `$1..$n`, outside string literals, quoted identifiers and comments. */
export function toPgPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '?') {
      out += `$${++n}`;
    } else {
      out += c;
    }
  }
  return out;
}

/** One connection (one worker thread) to a PostgreSQL database. */
export class SyncPg {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly pause = new Int32Array(new SharedArrayBuffer(4));
  private sequence = 0;
  private closed = false;

  constructor(readonly url: string) {
    // `?schema=` is Prisma's, not libpq's: the worker sets search_path to it instead.
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema');
    parsed.searchParams.delete('schema');
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_FILE, {
      workerData: { url: parsed.toString(), schema, port: port2, flag: this.flag.buffer },
      transferList: [port2],
    });
    this.worker.unref();
    this.worker.on('error', () => {
      // Surfaces as a timed-out query; nothing else may crash the test process.
    });
  }

  private call(message: Record<string, unknown>): Reply {
    if (this.closed) throw new Error('The database connection is not open');
    const id = ++this.sequence;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ ...message, id });
    const deadline = Date.now() + QUERY_TIMEOUT_MS;
    const waited = Atomics.wait(this.flag, 0, 0, QUERY_TIMEOUT_MS);
    // The flag can be seen before the reply is on the port (seen under load on Node 20): poll
    // briefly for it. Replies carry the request's id, so a late one never answers another query.
    for (;;) {
      let received = receiveMessageOnPort(this.port);
      while (received && (received.message as Reply).id !== id) received = receiveMessageOnPort(this.port);
      if (received) return received.message as Reply;
      if (waited === 'timed-out' || Date.now() > deadline) {
        this.closed = true;
        void this.worker.terminate();
        throw new Error(`PostgreSQL test query did not answer within ${QUERY_TIMEOUT_MS} ms: ${String(message.sql ?? message.type)}`);
      }
      Atomics.wait(this.pause, 0, 0, 1);
    }
  }

  query(sql: string, params: unknown[]): { rows: Record<string, unknown>[]; rowCount: number } {
    const reply = this.call({ type: 'query', sql: toPgPlaceholders(sql), params });
    if (!reply.ok) {
      const error = new Error(`${reply.error?.message ?? 'query failed'}\n    in: ${sql}`) as Error & { code?: string };
      error.code = reply.error?.code;
      throw error;
    }
    return { rows: reply.rows ?? [], rowCount: reply.rowCount ?? 0 };
  }

  /** A handle in better-sqlite3's shape; closing it leaves this connection open. */
  handle(): TestDb {
    let open = true;
    const check = () => {
      if (!open) throw new Error('The database connection is not open');
    };
    return {
      prepare: (sql: string): TestStatement => ({
        get: (...params) => {
          check();
          return this.query(sql, params).rows[0];
        },
        all: (...params) => {
          check();
          return this.query(sql, params).rows;
        },
        run: (...params) => {
          check();
          return { changes: this.query(sql, params).rowCount };
        },
      }),
      close: () => {
        open = false;
      },
    };
  }

  close(): void {
    if (this.closed) return;
    try {
      this.call({ type: 'close' });
    } catch {
      // the worker is terminated below either way
    } finally {
      this.closed = true;
      void this.worker.terminate();
    }
  }
}
