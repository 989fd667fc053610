import 'reflect-metadata';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { openDatabase, type Database, type Db } from '../db/database';
import { deployMigrations } from '../db/migrate';
import type { Caller } from '../lib/auth';
import { migrationsDirOf } from '../db/layout';
import { describeDatabase } from '../lib/banner';
import { loadConfigOrExit, type Config } from '../lib/config';
import { createLogger } from '../lib/logger';
import { DefaultModelGuards } from '../defaults/default-model.guards';
import { DefaultModelRepository } from '../defaults/default-model.repository';
import { ModelRepository } from '../models/model.repository';
import { ModelService } from '../models/model.service';
import type { InputRecord } from '../models/model.validation';
import { signDevToken } from './dev-token';

/**
 * Fills the configured database with a realistic registry for trying the API and building a
 * frontend: models of two users (alice, bob) and of an admin (root) who shares some with everyone.
 * Rows go through ModelService, exactly as through the API (validation, normalization, api_key
 * encryption, sharing rules). Re-running it skips the model_ids that already exist.
 *
 *   npm run -s seed [-- --ttl 12h]
 *   TOKEN=$(npm run -s seed -- --token alice)    (stdout: alice's token only; the summary on stderr)
 */

interface User {
  sub: string;
  admin: boolean;
}

const USERS: User[] = [
  { sub: 'alice', admin: false },
  { sub: 'bob', admin: false },
  { sub: 'root', admin: true },
];

interface SeedModel {
  owner: string;
  /** The create body, as a client would send it (GraphQL names). */
  input: InputRecord & { modelId: string };
  /** Deactivated after creation (a retired model: hidden from everyone but its owner and admins). */
  inactive?: boolean;
}

/** Placeholder keys: never valid anywhere, but stored (encrypted) like real ones, so hasApiKey is true. */
const placeholderKey = (owner: string, provider: string) => `sk-seed-${provider}-${owner}-placeholder`;

const SEED: SeedModel[] = [
  {
    owner: 'alice',
    input: {
      modelId: 'alice/gpt-4o',
      modelProvider: 'openai',
      modelName: 'gpt-4o',
      apiKey: placeholderKey('alice', 'openai'),
      temperature: 0.7,
      abilities: ['chat', 'vision', 'tools'],
      description: "Alice's general-purpose chat model",
    },
  },
  {
    owner: 'alice',
    input: {
      modelId: 'alice/llama3',
      modelProvider: 'ollama',
      modelName: 'llama3',
      baseUrl: 'http://localhost:11434',
      temperature: 0.8,
      abilities: ['chat'],
      description: 'Local Llama 3 through Ollama (no API key)',
    },
  },
  {
    owner: 'alice',
    input: {
      modelId: 'alice/text-embedding-3-small',
      category: 'embedding',
      modelProvider: 'openai',
      modelName: 'text-embedding-3-small',
      apiKey: placeholderKey('alice', 'openai'),
      dimension: 1536,
      abilities: ['embedding'],
      description: 'Embeddings for her notes search',
    },
  },
  {
    owner: 'bob',
    input: {
      modelId: 'bob/claude-3-5-sonnet',
      modelProvider: 'anthropic',
      modelName: 'claude-3-5-sonnet-20241022',
      apiKey: placeholderKey('bob', 'anthropic'),
      temperature: 0.5,
      abilities: ['chat', 'tools'],
      description: "Bob's coding assistant",
    },
  },
  {
    owner: 'bob',
    input: {
      modelId: 'bob/rerank-english-v3.0',
      category: 'rerank',
      modelProvider: 'cohere',
      modelName: 'rerank-english-v3.0',
      apiKey: placeholderKey('bob', 'cohere'),
      abilities: ['rerank'],
      description: 'Reranker for his retrieval experiments',
    },
  },
  {
    owner: 'root',
    input: {
      modelId: 'shared/gpt-4o-mini',
      modelProvider: 'openai',
      modelName: 'gpt-4o-mini',
      apiKey: placeholderKey('root', 'openai'),
      baseUrl: 'https://api.openai.com/v1',
      temperature: 0.3,
      abilities: ['chat', 'tools'],
      description: 'Team default chat model',
      shareWithUsers: true,
    },
  },
  {
    owner: 'root',
    input: {
      modelId: 'shared/claude-3-5-haiku',
      modelProvider: 'anthropic',
      modelName: 'claude-3-5-haiku-20241022',
      apiKey: placeholderKey('root', 'anthropic'),
      temperature: 0.2,
      abilities: ['chat'],
      description: 'Fast, cheap model for summaries',
      shareWithUsers: true,
    },
  },
  {
    owner: 'root',
    input: {
      modelId: 'shared/text-embedding-3-small',
      category: 'embedding',
      modelProvider: 'openai',
      modelName: 'text-embedding-3-small',
      apiKey: placeholderKey('root', 'openai'),
      dimension: 1536,
      abilities: ['embedding'],
      description: 'Team embedding model (1536 dimensions)',
      shareWithUsers: true,
    },
  },
  {
    owner: 'root',
    input: {
      modelId: 'shared/rerank-english-v3.0',
      category: 'rerank',
      modelProvider: 'cohere',
      modelName: 'rerank-english-v3.0',
      apiKey: placeholderKey('root', 'cohere'),
      abilities: ['rerank'],
      description: 'Team reranker',
      shareWithUsers: true,
    },
  },
  {
    owner: 'root',
    input: {
      modelId: 'shared/gpt-3.5-turbo',
      modelProvider: 'openai',
      modelName: 'gpt-3.5-turbo',
      apiKey: placeholderKey('root', 'openai'),
      abilities: ['chat'],
      description: 'Retired: kept for old configurations, hidden from users',
      shareWithUsers: true,
    },
    inactive: true,
  },
];

function callerFor(sub: string): Caller {
  const user = USERS.find((u) => u.sub === sub);
  if (!user) throw new Error(`seed model owned by unknown user ${sub}`);
  return { sub: user.sub, isAdmin: user.admin };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Migrations in `migrationsDir` that the database has not applied (all of them for a fresh one). */
async function pendingMigrations(db: Db, migrationsDir: string): Promise<string[]> {
  const all = fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  try {
    const rows = await db.$queryRawUnsafe<{ migration_name: string }[]>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Set(rows.map((row) => row.migration_name));
    return all.filter((name) => !applied.has(name));
  } catch {
    return all; // no _prisma_migrations table: nothing applied yet
  }
}

/**
 * The database, migrated as start-up migrates it. The schema engine is only started when a
 * migration is pending: on SQLite it needs an exclusive lock, which a running server (the usual
 * case: `npm start`, then seed) holds off, and that server has already migrated the file.
 */
async function openMigrated(config: Config): Promise<Database> {
  const migrationsDir = migrationsDirOf(config.database.provider);
  const database = await openDatabase(config.database);
  const pending = await pendingMigrations(database.db, migrationsDir).catch(async (err: unknown) => {
    await database.close();
    throw err;
  });
  if (pending.length === 0) return database;
  await database.close();
  try {
    await deployMigrations({ provider: config.database.provider, url: config.database.url, migrationsDir });
  } catch (err) {
    if (config.database.provider !== 'sqlite') throw err;
    throw new Error(
      `${err instanceof Error ? err.message : String(err)} (migrations ${pending.join(', ')} are pending; a server running an ` +
        'older version holds the SQLite file: stop it, or start the new version once so it migrates, then seed again)',
    );
  }
  return openDatabase(config.database);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ttl: { type: 'string', default: '12h' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `usage: npm run -s seed [-- --ttl 12h] [--token ${USERS.map((u) => u.sub).join('|')}]   (fills DATABASE_URL; existing model_ids are skipped;\n` +
        "       --token: print only that user's token, for TOKEN=$(npm run -s seed -- --token alice))\n",
    );
    return;
  }
  const only = values.token === undefined ? undefined : USERS.find((user) => user.sub === values.token);
  if (values.token !== undefined && !only) {
    process.stderr.write(
      `--token must be one of ${USERS.map((u) => u.sub).join(', ')}, got ${JSON.stringify(values.token.slice(0, 64))}\n`,
    );
    process.exit(2);
  }
  const config = loadConfigOrExit();
  if (only && config.jwt.source !== 'secret') {
    process.stderr.write(
      `--token: ${config.jwt.source === 'jwks' ? 'JWT_JWKS_URI' : 'JWT_PUBLIC_KEY'} is set, so tokens come from the identity provider\n`,
    );
    process.exit(1);
  }
  // With --token, stdout is the token alone: log lines there would end up in $(...).
  const logger = createLogger(only ? 'silent' : config.logLevel);
  // Signed first: a bad --ttl fails before anything is written.
  const jwtConfig = config.jwt;
  let tokens: { user: User; token: string }[] | null = null;
  if (jwtConfig.source === 'secret') {
    try {
      tokens = USERS.map((user) => ({ user, token: signDevToken(jwtConfig, user.sub, { admin: user.admin, ttl: values.ttl }) }));
    } catch {
      process.stderr.write(`--ttl must be a timespan like 30m, 12h or 7d, got "${values.ttl}"\n`);
      process.exit(2);
    }
  }

  const database = await openMigrated(config);
  const rows: string[][] = [];
  let created = 0;
  try {
    const guards = new DefaultModelGuards(new DefaultModelRepository(database));
    const models = new ModelService(new ModelRepository(database), config.encryptionKeys, config.sharing, logger, guards);
    const admin: Caller = { sub: 'root', isAdmin: true };
    for (const seed of SEED) {
      const owner = callerFor(seed.owner);
      const { modelId } = seed.input;
      let result: string;
      // An admin sees every model, so this finds the id whoever owns it.
      const existing = await models.find(admin, modelId);
      if (existing) {
        result = 'exists, skipped';
      } else {
        let won = true;
        try {
          await models.create(owner, seed.input);
        } catch (err) {
          // Another seed (or a user) created the id in the meantime: the same outcome as above.
          if (!(await models.find(admin, modelId))) throw err;
          won = false;
        }
        if (won && seed.inactive) await models.setActive(owner, modelId, false);
        result = won ? 'created' : 'exists, skipped';
        if (won) created++;
      }
      const { input } = seed;
      rows.push([
        modelId,
        seed.owner,
        String(input.category ?? 'llm'),
        String(input.modelProvider),
        String(input.modelName),
        input.shareWithUsers ? 'yes' : 'no',
        seed.inactive ? 'no' : 'yes',
        result,
      ]);
    }
  } finally {
    await database.close();
  }

  const summary = `Seeded ${describeDatabase(config.database)}: ${created} created, ${SEED.length - created} already there (skipped)`;
  if (only) {
    // stdout is the token alone, for $(...); the person at the terminal still sees what happened.
    process.stderr.write(`${summary}\n`);
    process.stdout.write(`${tokens!.find(({ user }) => user === only)!.token}\n`);
    return;
  }
  const out: string[] = [];
  out.push(summary);
  out.push('');
  out.push(table(['model_id', 'owner', 'category', 'provider', 'model', 'shared', 'active', 'result'], rows));
  out.push('');
  if (tokens) {
    out.push(`Development tokens (valid ${values.ttl}), for Authorization: Bearer <token>:`);
    for (const { user, token } of tokens) {
      out.push(`  ${user.sub.padEnd(5)}  ${(user.admin ? 'admin' : 'user').padEnd(5)}  ${token}`);
    }
  } else {
    const source = config.jwt.source === 'jwks' ? 'JWT_JWKS_URI' : 'JWT_PUBLIC_KEY';
    out.push(
      `${source} is set: get tokens for ${USERS.map((u) => u.sub).join(', ')} from the identity provider (root needs the admin role)`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
