/**
 * Development's defaults for a machine on a network: without HOST the server listens on
 * 127.0.0.1 only (production keeps every interface), and the banner says once where the
 * secrets it generated for itself are (paths, never values).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/lib/config';
import { startServer, tempDir } from './helpers/server';
import { TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from './helpers/tokens';

const KEYS = { JWT_SECRET: TEST_JWT_SECRET, API_KEY_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY };

/** An address of this machine other than loopback, if it has one. */
const OTHER_ADDRESS = Object.values(os.networkInterfaces())
  .flat()
  .find((address) => address && !address.internal && address.family === 'IPv4')?.address;
const itWithNetwork = OTHER_ADDRESS ? it : it.skip;

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(3000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

describe('HOST default', () => {
  it('127.0.0.1 in development and test, 0.0.0.0 in production; HOST overrides both', () => {
    const dataDir = tempDir();
    const host = (env: Record<string, string>) => loadConfig({ DATA_DIR: dataDir, ...KEYS, ...env }).host;
    expect(host({})).toBe('127.0.0.1');
    expect(host({ NODE_ENV: 'development' })).toBe('127.0.0.1');
    expect(host({ NODE_ENV: 'test' })).toBe('127.0.0.1');
    expect(host({ NODE_ENV: 'production' })).toBe('0.0.0.0');
    expect(host({ NODE_ENV: 'development', HOST: '0.0.0.0' })).toBe('0.0.0.0');
    expect(host({ NODE_ENV: 'production', HOST: '127.0.0.1' })).toBe('127.0.0.1');
    expect(host({ NODE_ENV: 'production', HOST: '::' })).toBe('::');
  });
});

describe('development without HOST or keys', () => {
  it('listens on 127.0.0.1 only and names the generated secret files once, never their content', async () => {
    const dataDir = tempDir('model-gateway-dev-');
    const server = await startServer({
      dataDir,
      env: { NODE_ENV: 'development', HOST: undefined, JWT_SECRET: undefined, API_KEY_ENCRYPTION_KEY: undefined },
    });
    try {
      const files = [path.join(dataDir, 'jwt-secret'), path.join(dataDir, 'encryption-key')];
      const logs = server.logs();
      const rows = logs.split('\n').filter((line) => line.startsWith('  Secrets '));
      expect(rows).toEqual([`  Secrets    generated for development (not for production): ${files.join(', ')}`]);
      for (const file of files) expect(logs).not.toContain(fs.readFileSync(file, 'utf8').trim());
      expect(logs).toContain(`  GraphQL    http://127.0.0.1:${server.port}/graphql`);
      expect(await connects('127.0.0.1', server.port)).toBe(true);
      if (OTHER_ADDRESS) expect(await connects(OTHER_ADDRESS, server.port)).toBe(false);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('configured keys: no secrets line', async () => {
    const server = await startServer({ env: { NODE_ENV: 'development', HOST: undefined } });
    try {
      expect(server.logs()).not.toMatch(/^ {2}Secrets /m);
    } finally {
      await server.stop();
    }
  });
});

describe('production without HOST', () => {
  itWithNetwork('listens on every interface, as before', async () => {
    const server = await startServer({ env: { NODE_ENV: 'production', HOST: undefined } });
    try {
      expect(await connects(OTHER_ADDRESS!, server.port)).toBe(true);
      expect(await connects('127.0.0.1', server.port)).toBe(true);
      expect(server.logs()).not.toMatch(/^ {2}Secrets /m);
    } finally {
      await server.stop();
    }
  });
});
