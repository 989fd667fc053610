import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from './tokens';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
export const SERVER_ENTRY = path.join(PROJECT_ROOT, 'dist', 'main.js');

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  dbPath: string;
  process: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  logs(): string;
  /** Opens the real database file (read-write; WAL allows it beside the server). */
  db(): Database.Database;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix = 'model-gateway-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The environment a test server gets unless a test overrides it. */
export function baseEnv(dataDir: string, port: number): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: `file:${path.join(dataDir, 'models.db')}`,
    JWT_SECRET: TEST_JWT_SECRET,
    API_KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: 'info',
  };
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  dataDir?: string;
  /** Resolve once the process exits instead of waiting for it to listen (bad-config tests). */
  expectExit?: boolean;
  cwd?: string;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? tempDir();
  const port = await freePort();
  const env: Record<string, string> = baseEnv(dataDir, port);
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  const child = spawn(process.execPath, [SERVER_ENTRY], { env, cwd: options.cwd ?? dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = `http://127.0.0.1:${port}`;
  const dbPath = env.DATABASE_URL?.startsWith('file:') ? env.DATABASE_URL.slice(5) : '';
  const server: RunningServer = {
    url,
    port,
    dataDir,
    dbPath,
    process: child,
    logs: () => output,
    db: () => new Database(dbPath),
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
  if (options.expectExit) {
    await exited;
    return server;
  }

  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before listening:\n${output}`);
    try {
      const res = await fetch(`${url}/api/models`);
      if (res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start within 20 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return server;
}
