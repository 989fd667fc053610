// First: sizes the heap before the other modules' loading grows it.
import './lib/heap';
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { createGateway } from './app';
import { openDatabase } from './db/database';
import { migrationsDirOf } from './db/layout';
import { deployMigrations } from './db/migrate';
import { baseUrl, describeDatabase, renderBanner, urlsOf } from './lib/banner';
import { loadConfigOrExit, renderHelp, type Config } from './lib/config';
import { bindEarly } from './lib/early-listener';
import { createHttpDrain } from './lib/http-drain';
import { createLogger, wantsPrettyLogs } from './lib/logger';
import { createMetrics } from './lib/metrics';
import { PROJECT_ROOT } from './lib/paths';

/** The listener's errors people can fix, as the one line main() prints (no stack). */
function listenError(err: NodeJS.ErrnoException, config: Config): Error {
  switch (err.code) {
    case 'EADDRINUSE':
      return new Error(`port ${config.port} is already in use (set PORT)`);
    case 'EACCES':
      return new Error(`port ${config.port} needs elevated privileges (set PORT to 1024 or above)`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new Error(`HOST ${JSON.stringify(config.host)} is not an address of this machine (set HOST, e.g. 0.0.0.0)`);
    default:
      return err;
  }
}

function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '';
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(renderHelp());
    return;
  }
  if (args.length > 0) {
    process.stderr.write(`model-gateway: unknown argument ${JSON.stringify(args[0]!.slice(0, 100))} (see --help)\n`);
    process.exit(1);
  }

  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel, { pretty: wantsPrettyLogs(config.env) });
  const metrics = createMetrics();

  // The port first: "port in use" is the one line a second instance on the same port prints.
  const listener = await bindEarly(config.port, config.host).catch((err: NodeJS.ErrnoException) => {
    throw listenError(err, config);
  });
  try {
    const { applied } = await deployMigrations({
      provider: config.database.provider,
      url: config.database.url,
      migrationsDir: migrationsDirOf(config.database.provider),
    });
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
  } catch (err) {
    listener.close();
    throw err;
  }

  const database = await openDatabase(
    config.database,
    (err) => logger.warn({ err: { message: err.message } }, 'database connection lost'),
    metrics.observeDbQuery,
  );
  const { httpServer, apollo, markDraining } = await createGateway(config, database, logger, metrics);
  const drain = createHttpDrain(httpServer);
  await listener.handOver(httpServer);

  const port = listener.address().port;
  const urls = urlsOf(baseUrl(config.host, port));
  logger.info(
    { port, database: describeDatabase(config.database), env: config.env, urls },
    `model-gateway listening: GraphQL ${urls.graphql}${config.landingPage ? ' (Sandbox: open it in a browser)' : ''}, REST ${urls.rest}`,
  );
  process.stderr.write(renderBanner(config, port, packageVersion()));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    markDraining();
    try {
      // Keep serving while the load balancer's next /readyz probe sees 503 and stops routing here.
      if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      // The listener closes, answers say `Connection: close`, every request received is answered
      // and every connection closed before Apollo stops.
      await drain.close();
      await apollo.stop();
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
