// Migration CLI (Prisma's schema engine as WebAssembly, see src/db/migrate/).
//
//   node dist/cli/migrate.js deploy          apply pending migrations to DATABASE_URL
//   node dist/cli/migrate.js create <name>   write a migration for the schema's changes
//   node dist/cli/migrate.js diff            SQL creating the schema from scratch
//   node dist/cli/migrate.js check           do the migrations produce the schema?
//   node dist/cli/migrate.js drift           does DATABASE_URL's database match the schema?
//   node dist/cli/migrate.js resolve --applied|--rolled-back <migration>
//
// The provider, hence the default schema and migrations folder, follows --provider, else the
// --schema file's datasource, else DATABASE_URL: SQLite (file:..., the default) uses
// prisma/schema.prisma + prisma/migrations, PostgreSQL (postgresql://...) uses
// prisma/postgresql/schema.prisma + prisma/postgresql/migrations. --schema / --migrations
// (relative to the cwd) override them; --verbose prints the engine's logs on stderr.
// On PostgreSQL, check/create/diff work in throw-away databases (mg_shadow_<random>) created on
// MIGRATE_CHECK_DATABASE_URL's server, else DATABASE_URL's, else postgres@127.0.0.1:5432.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PRISMA_LAYOUT } from '../db/layout';
import {
  checkDrift,
  createMigration,
  DEFAULT_POSTGRES_SERVER_URL,
  deployMigrations,
  diffFromEmpty,
  postgresServerUrl,
  providerForUrl,
  resolveMigration,
  schemaProvider,
  withTemporaryPostgresDatabase,
  type DbProvider,
  type MigrationLog,
} from '../db/migrate';
import { PROJECT_ROOT } from '../lib/paths';

const DEFAULT_DATABASE_URL = 'file:./data/models.db';
const PROVIDERS: readonly DbProvider[] = ['sqlite', 'postgresql'];

/** The schema and migrations folder of each provider. */
const LAYOUT = PRISMA_LAYOUT;

const USAGE = `usage: node dist/cli/migrate.js <command> [options]

commands:
  deploy          apply pending migrations to DATABASE_URL (default ${DEFAULT_DATABASE_URL})
  create <name>   write <migrations>/<timestamp>_<name>/migration.sql for schema changes
  diff            print the SQL that creates the schema from an empty database
  check           apply all migrations to a temporary database and compare it with the schema
                  (--provider sqlite|postgresql picks one, --all checks both)
  drift           compare DATABASE_URL's database with the schema (exit 1 when they differ)
  resolve --applied <migration> | --rolled-back <migration>
                  mark a failed migration in DATABASE_URL as applied / rolled back

options:
  --provider <p>        sqlite or postgresql: the default schema and migrations folder
                        (default: the --schema file's provider, else DATABASE_URL's)
  --schema <file>       Prisma schema (default prisma/schema.prisma,
                        prisma/postgresql/schema.prisma for PostgreSQL)
  --migrations <dir>    migrations folder (default prisma/migrations,
                        prisma/postgresql/migrations for PostgreSQL)
  --all                 check: both providers, each with its default schema and migrations
  --verbose             print the schema engine's logs on stderr

environment:
  DATABASE_URL                 file:<path> (SQLite) or postgresql://... (deploy, drift, resolve)
  MIGRATE_CHECK_DATABASE_URL   PostgreSQL server for the throw-away databases of check, create
                               and diff (default: DATABASE_URL if PostgreSQL, else
                               ${DEFAULT_POSTGRES_SERVER_URL})`;

class UsageError extends Error {}

interface Args {
  command: string | undefined;
  positional: string[];
  provider: DbProvider | undefined;
  schemaPath: string | undefined;
  migrationsDir: string | undefined;
  all: boolean;
  verbose: boolean;
  resolve: { as: 'applied' | 'rolled-back'; name: string } | undefined;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  let provider: DbProvider | undefined;
  let schemaPath: string | undefined;
  let migrationsDir: string | undefined;
  let all = false;
  let verbose = false;
  let resolve: Args['resolve'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--schema') schemaPath = path.resolve(value());
    else if (arg === '--migrations') migrationsDir = path.resolve(value());
    else if (arg === '--provider') provider = parseProvider(value());
    else if (arg === '--all') all = true;
    else if (arg === '--verbose') verbose = true;
    else if (arg === '--applied' || arg === '--rolled-back')
      resolve = { as: arg === '--applied' ? 'applied' : 'rolled-back', name: value() };
    else if (arg === '-h' || arg === '--help') positional.unshift('help');
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  return { command: positional.shift(), positional, provider, schemaPath, migrationsDir, all, verbose, resolve };
}

function parseProvider(value: string): DbProvider {
  if (value === 'sqlite' || value === 'postgresql') return value;
  if (value === 'postgres') return 'postgresql';
  throw new UsageError(`unknown provider "${value}" (sqlite or postgresql)`);
}

/** --provider, else the --schema file's datasource, else DATABASE_URL's (SQLite by default). */
function defaultProvider(args: Args): DbProvider {
  if (args.provider) return args.provider;
  if (args.schemaPath) return schemaProvider(fs.readFileSync(args.schemaPath, 'utf8'));
  try {
    return providerForUrl(databaseUrl());
  } catch {
    return 'sqlite';
  }
}

function schemaPathFor(args: Args, provider?: DbProvider): string {
  return args.schemaPath ?? LAYOUT[provider ?? defaultProvider(args)].schemaPath;
}

function migrationsDirFor(args: Args, provider?: DbProvider): string {
  return args.migrationsDir ?? LAYOUT[provider ?? defaultProvider(args)].migrationsDir;
}

/** deploy / drift / resolve work on DATABASE_URL, whose provider --provider must not contradict. */
function targetDatabase(args: Args): { url: string; provider: DbProvider } {
  const url = databaseUrl();
  const provider = providerForUrl(url);
  if (args.provider && args.provider !== provider) {
    throw new UsageError(`--provider ${args.provider} does not match DATABASE_URL (${provider})`);
  }
  return { url, provider };
}

/** Paths inside the project are shown relative to its root (prisma/schema.prisma). */
function rel(p: string): string {
  const r = path.relative(PROJECT_ROOT, p);
  return r === '' || r.startsWith('..') || path.isAbsolute(r) ? p : r;
}

async function run(args: Args): Promise<number> {
  const log = args.verbose ? (msg: string) => process.stderr.write(`${msg}\n`) : undefined;
  const logOpt = log ? { log } : {};

  if (args.all && args.command !== 'check') throw new UsageError('--all is only for check');

  switch (args.command) {
    case 'deploy': {
      expectArgs(args, 0);
      const { url, provider } = targetDatabase(args);
      const { applied } = await deployMigrations({
        provider,
        url,
        migrationsDir: migrationsDirFor(args, provider),
        ...logOpt,
      });
      if (applied.length === 0) console.log('no pending migrations');
      else for (const name of applied) console.log(`applied ${name}`);
      return 0;
    }

    case 'create': {
      expectArgs(args, 1);
      const name = args.positional[0] as string;
      const schemaPath = schemaPathFor(args);
      const provider = schemaProvider(fs.readFileSync(schemaPath, 'utf8'));
      const migrationsDir = migrationsDirFor(args, provider);
      const folder = await createMigration({
        schemaPath,
        migrationsDir,
        name,
        provider,
        ...(provider === 'postgresql' ? { url: postgresServerUrl() } : {}),
        ...logOpt,
      });
      console.log(folder === null ? 'no changes' : path.join(rel(migrationsDir), folder));
      return 0;
    }

    case 'diff': {
      expectArgs(args, 0);
      const schemaPath = schemaPathFor(args);
      const provider = schemaProvider(fs.readFileSync(schemaPath, 'utf8'));
      process.stdout.write(
        await diffFromEmpty(schemaPath, { ...(provider === 'postgresql' ? { url: postgresServerUrl() } : {}), ...logOpt }),
      );
      return 0;
    }

    case 'check': {
      expectArgs(args, 0);
      if (args.all) {
        if (args.provider || args.schemaPath || args.migrationsDir) {
          throw new UsageError('--all checks each provider with its own schema and migrations: no --provider, --schema or --migrations');
        }
        let code = 0;
        for (const provider of PROVIDERS) {
          code = Math.max(code, await check(provider, LAYOUT[provider].schemaPath, LAYOUT[provider].migrationsDir, log));
        }
        return code;
      }
      const schemaPath = schemaPathFor(args);
      const provider = schemaProvider(fs.readFileSync(schemaPath, 'utf8'));
      if (args.provider && args.provider !== provider) {
        throw new UsageError(`${rel(schemaPath)} is a ${provider} schema, not ${args.provider}`);
      }
      return check(provider, schemaPath, migrationsDirFor(args, provider), log);
    }

    case 'drift': {
      expectArgs(args, 0);
      const { url, provider } = targetDatabase(args);
      const schemaPath = schemaPathFor(args, provider);
      const drift = await checkDrift({ provider, url, schemaPath, ...logOpt });
      if (drift.inSync) {
        console.log(`the database matches ${rel(schemaPath)}`);
        return 0;
      }
      console.log(`the database differs from ${rel(schemaPath)}; SQL that would bring it in line:\n`);
      process.stdout.write(drift.sql.endsWith('\n') ? drift.sql : `${drift.sql}\n`);
      return 1;
    }

    case 'resolve': {
      expectArgs(args, 0);
      if (!args.resolve) throw new UsageError('resolve needs --applied <migration> or --rolled-back <migration>');
      const { url, provider } = targetDatabase(args);
      await resolveMigration({
        provider,
        url,
        migrationsDir: migrationsDirFor(args, provider),
        ...args.resolve,
        ...logOpt,
      });
      console.log(`marked ${args.resolve.name} as ${args.resolve.as}`);
      return 0;
    }

    case 'help':
      console.log(USAGE);
      return 0;

    case undefined:
      throw new UsageError('missing command');

    default:
      throw new UsageError(`unknown command "${args.command}"`);
  }
}

/**
 * Applies all migrations to a temporary database (a file for SQLite, a throw-away
 * mg_shadow_<random> database for PostgreSQL) and compares it with the schema.
 */
async function check(provider: DbProvider, schemaPath: string, migrationsDir: string, log: MigrationLog | undefined): Promise<number> {
  const logOpt = log ? { log } : {};
  const compare = async (url: string): Promise<number> => {
    await deployMigrations({ provider, url, migrationsDir, ...logOpt });
    const drift = await checkDrift({ provider, url, schemaPath, ...logOpt });
    if (drift.inSync) {
      console.log(`migrations match ${rel(schemaPath)}`);
      return 0;
    }
    console.log(`migrations in ${rel(migrationsDir)} do not match ${rel(schemaPath)}; missing SQL:\n`);
    process.stdout.write(drift.sql.endsWith('\n') ? drift.sql : `${drift.sql}\n`);
    return 1;
  };
  if (provider === 'postgresql') return withTemporaryPostgresDatabase(postgresServerUrl(), compare);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migrate-check-'));
  try {
    return await compare(`file:${path.join(tmp, 'check.db')}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function databaseUrl(): string {
  return process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
}

function expectArgs(args: Args, n: number): void {
  if (args.positional.length !== n) {
    throw new UsageError(n === 0 ? `${args.command} takes no arguments` : `${args.command} needs exactly ${n} argument(s)`);
  }
}

/** One line: the engine's messages carry Rust span traces after the useful part. */
function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const lines = message.split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    if (/^\s*\d+: \S+::/.test(line)) break; // start of the engine's span trace
    if (line.trim() !== '') kept.push(line.trim());
  }
  return (kept.length > 0 ? kept : [message.trim()]).join(' ');
}

async function main(): Promise<void> {
  let code: number;
  try {
    code = await run(parseArgs(process.argv.slice(2)));
  } catch (err) {
    console.error(`migrate: ${oneLine(err)}${err instanceof UsageError ? ' (see --help)' : ''}`);
    code = 1;
  }
  process.exitCode = code;
}

void main();
