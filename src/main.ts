import 'reflect-metadata';
import path from 'node:path';
import { createGateway } from './app';
import { deployMigrations } from './db/migrate';
import { ConfigError, loadConfig, PROJECT_ROOT, type Config } from './lib/config';
import { createLogger } from './lib/logger';
import { openDatabase } from './lib/prisma';

function describeDatabase(config: Config): string {
  if (config.database.provider === 'sqlite') return `SQLite ${config.database.sqlitePath}`;
  const url = new URL(config.database.url);
  return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`; // never the password
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const problem of err.problems) process.stderr.write(`config error: ${problem}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);

  const { applied } = await deployMigrations({
    provider: config.database.provider,
    url: config.database.url,
    migrationsDir:
      config.database.provider === 'postgresql'
        ? path.join(PROJECT_ROOT, 'prisma', 'postgresql', 'migrations')
        : path.join(PROJECT_ROOT, 'prisma', 'migrations'),
  });
  if (applied.length > 0) logger.info({ applied }, 'database migrated');

  const database = await openDatabase(config.database, (err) => logger.warn({ err: { message: err.message } }, 'database connection lost'));
  const { httpServer, apollo, markDraining } = await createGateway(config, database, logger);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, resolve);
  });
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = `http://localhost:${port}`;
  logger.info(
    { port, database: describeDatabase(config), env: config.env },
    `model-gateway listening: GraphQL ${base}/graphql${config.landingPage ? ' (Sandbox: open it in a browser)' : ''}, REST ${base}/api/models`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    markDraining();
    try {
      // Keep serving while the load balancer's next /readyz probe sees 503 and stops routing here.
      if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      await apollo.stop(); // the drain plugin closes the HTTP server and waits for requests
      await database.close();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`model-gateway failed to start: ${message}\n`);
  process.exit(1);
});
