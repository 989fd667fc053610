// Migration CLI (Prisma's schema engine as WebAssembly, see src/db/migrate.ts).
//
//   node dist/cli/migrate.js deploy          apply pending migrations to DATABASE_URL
//   node dist/cli/migrate.js create <name>   write a migration for the schema's changes
//   node dist/cli/migrate.js diff            SQL creating the schema from scratch
//   node dist/cli/migrate.js check           do the migrations produce the schema?
//   node dist/cli/migrate.js resolve --applied|--rolled-back <migration>
//
// Options: --schema <file> (default prisma/schema.prisma), --migrations <dir> (default
// prisma/migrations), both relative to the cwd when given; --verbose (engine logs on stderr).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkDrift,
  createMigration,
  deployMigrations,
  diffFromEmpty,
  providerForUrl,
  resolveMigration,
  schemaProvider,
} from '../db/migrate';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_SCHEMA = path.join(PROJECT_ROOT, 'prisma', 'schema.prisma');
const DEFAULT_MIGRATIONS = path.join(PROJECT_ROOT, 'prisma', 'migrations');
const DEFAULT_DATABASE_URL = 'file:./data/models.db';

const USAGE = `usage: node dist/cli/migrate.js <command> [options]

commands:
  deploy          apply pending migrations to DATABASE_URL (default ${DEFAULT_DATABASE_URL})
  create <name>   write prisma/migrations/<timestamp>_<name>/migration.sql for schema changes
  diff            print the SQL that creates the schema from an empty database
  check           apply all migrations to a temporary database and compare it with the schema
  resolve --applied <migration> | --rolled-back <migration>
                  mark a failed migration in DATABASE_URL as applied / rolled back

options:
  --schema <file>       Prisma schema (default prisma/schema.prisma)
  --migrations <dir>    migrations folder (default prisma/migrations)
  --verbose             print the schema engine's logs on stderr`;

class UsageError extends Error {}

interface Args {
  command: string | undefined;
  positional: string[];
  schemaPath: string;
  migrationsDir: string;
  verbose: boolean;
  resolve: { as: 'applied' | 'rolled-back'; name: string } | undefined;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  let schemaPath = DEFAULT_SCHEMA;
  let migrationsDir = DEFAULT_MIGRATIONS;
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
    else if (arg === '--verbose') verbose = true;
    else if (arg === '--applied' || arg === '--rolled-back')
      resolve = { as: arg === '--applied' ? 'applied' : 'rolled-back', name: value() };
    else if (arg === '-h' || arg === '--help') positional.unshift('help');
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  return { command: positional.shift(), positional, schemaPath, migrationsDir, verbose, resolve };
}

/** Paths inside the project are shown relative to its root (prisma/schema.prisma). */
function rel(p: string): string {
  const r = path.relative(PROJECT_ROOT, p);
  return r === '' || r.startsWith('..') || path.isAbsolute(r) ? p : r;
}

async function run(args: Args): Promise<number> {
  const log = args.verbose ? (msg: string) => process.stderr.write(`${msg}\n`) : undefined;
  const logOpt = log ? { log } : {};

  switch (args.command) {
    case 'deploy': {
      expectArgs(args, 0);
      const url = databaseUrl();
      const { applied } = await deployMigrations({
        provider: providerForUrl(url),
        url,
        migrationsDir: args.migrationsDir,
        ...logOpt,
      });
      if (applied.length === 0) console.log('no pending migrations');
      else for (const name of applied) console.log(`applied ${name}`);
      return 0;
    }

    case 'create': {
      expectArgs(args, 1);
      const name = args.positional[0] as string;
      const provider = schemaProvider(fs.readFileSync(args.schemaPath, 'utf8'));
      const folder = await createMigration({
        schemaPath: args.schemaPath,
        migrationsDir: args.migrationsDir,
        name,
        provider,
        ...logOpt,
      });
      console.log(folder === null ? 'no changes' : path.join(rel(args.migrationsDir), folder));
      return 0;
    }

    case 'diff': {
      expectArgs(args, 0);
      process.stdout.write(await diffFromEmpty(args.schemaPath));
      return 0;
    }

    case 'check': {
      expectArgs(args, 0);
      const provider = schemaProvider(fs.readFileSync(args.schemaPath, 'utf8'));
      if (provider !== 'sqlite') throw new Error(`check needs a SQLite schema, got ${provider}`);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'migrate-check-'));
      try {
        const url = `file:${path.join(tmp, 'check.db')}`;
        await deployMigrations({ provider, url, migrationsDir: args.migrationsDir, ...logOpt });
        const drift = await checkDrift({ provider, url, schemaPath: args.schemaPath, ...logOpt });
        if (drift.inSync) {
          console.log(`migrations match ${rel(args.schemaPath)}`);
          return 0;
        }
        console.log(`migrations in ${rel(args.migrationsDir)} do not match ${rel(args.schemaPath)}; missing SQL:\n`);
        process.stdout.write(drift.sql.endsWith('\n') ? drift.sql : `${drift.sql}\n`);
        return 1;
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    }

    case 'resolve': {
      expectArgs(args, 0);
      if (!args.resolve) throw new UsageError('resolve needs --applied <migration> or --rolled-back <migration>');
      const url = databaseUrl();
      await resolveMigration({
        provider: providerForUrl(url),
        url,
        migrationsDir: args.migrationsDir,
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
