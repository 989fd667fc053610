// Re-encrypts every stored api_key that is not sealed with the current encryption key:
//
//   npm run rotate-keys [-- --batch-size 200]
//
// Configuration is the server's (loadConfig): DATABASE_URL, and API_KEY_ENCRYPTION_KEYS (new key
// first, the old ones after it) or API_KEY_ENCRYPTION_KEY. The procedure is in docs/deploy.md
// ("Rotating the encryption key"): restart the gateways with the new key first, then run this,
// then drop the old key once a run reports 0 to re-encrypt and 0 failed.
//
// Each row is re-sealed on its own with a conditional update, so the run can be interrupted and
// re-run at any time, and runs beside live gateways without overwriting their writes.

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { describeDatabase } from '../lib/banner';
import { ConfigError, loadConfig, type Config } from '../lib/config';
import { DecryptionError, SecretBox } from '../lib/crypto';
import { openDatabase, type Db } from '../lib/prisma';

const DEFAULT_BATCH_SIZE = 200;
const MAX_BATCH_SIZE = 10000;

export interface StoredKey {
  id: number;
  modelId: string;
  apiKeyEncrypted: string;
}

/** The rotation's only contact with the database (SQLite and PostgreSQL alike, through Prisma). */
export interface RotationStore {
  /** Rows holding an api_key with an id above `afterId`, in id order, at most `limit`. */
  batch(afterId: number, limit: number): Promise<StoredKey[]>;
  /** Writes `next` only if the row still holds `expected`; false when it changed or went away meanwhile. */
  replace(id: number, expected: string, next: string): Promise<boolean>;
}

export function prismaRotationStore(db: Db): RotationStore {
  return {
    async batch(afterId, limit) {
      const rows = await db.model.findMany({
        where: { id: { gt: afterId }, apiKeyEncrypted: { not: null } },
        orderBy: { id: 'asc' },
        take: limit,
        select: { id: true, modelId: true, apiKeyEncrypted: true },
      });
      return rows.flatMap((row) => (row.apiKeyEncrypted === null ? [] : [{ ...row, apiKeyEncrypted: row.apiKeyEncrypted }]));
    },
    async replace(id, expected, next) {
      // Matching the old ciphertext, not the version: a gateway that changed the key (or removed
      // it) since the row was read wins, and its value is left alone. version and updated_at are
      // deliberately untouched: the model did not change for clients (the key opens to the same
      // plaintext), and moving the version would make their pending If-Match / expectedVersion
      // writes fail with 412 for a change they cannot see.
      const { count } = await db.model.updateMany({ where: { id, apiKeyEncrypted: expected }, data: { apiKeyEncrypted: next } });
      return count === 1;
    },
  };
}

export interface RotationFailure {
  modelId: string;
  /** DecryptionError's message: at most a key id, never a value. */
  reason: string;
}

export interface RotationReport {
  scanned: number;
  reencrypted: number;
  alreadyCurrent: number;
  /** Changed (or deleted) by someone else between our read and our write; a re-run picks them up. */
  changedConcurrently: number;
  failed: RotationFailure[];
  /** Stopped early on request (SIGINT/SIGTERM); what was done so far stays done. */
  interrupted: boolean;
}

export interface RotationOptions {
  batchSize?: number;
  /** Checked between rows: true stops the run after the row in hand. */
  stopRequested?: () => boolean;
}

export async function rotateKeys(store: RotationStore, box: SecretBox, options: RotationOptions = {}): Promise<RotationReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const report: RotationReport = { scanned: 0, reencrypted: 0, alreadyCurrent: 0, changedConcurrently: 0, failed: [], interrupted: false };
  let afterId = 0;
  for (;;) {
    const rows = await store.batch(afterId, batchSize);
    for (const row of rows) {
      if (options.stopRequested?.()) {
        report.interrupted = true;
        return report;
      }
      afterId = row.id;
      report.scanned += 1;
      if (box.isCurrent(row.apiKeyEncrypted)) {
        report.alreadyCurrent += 1;
        continue;
      }
      let next: string;
      try {
        next = box.reseal(row.apiKeyEncrypted, row.modelId);
      } catch (err) {
        if (!(err instanceof DecryptionError)) throw err;
        // Left as it is: a later update through the API that sends the key replaces it.
        report.failed.push({ modelId: row.modelId, reason: err.message });
        continue;
      }
      if (await store.replace(row.id, row.apiKeyEncrypted, next)) report.reencrypted += 1;
      else report.changedConcurrently += 1;
    }
    if (rows.length < batchSize) return report;
  }
}

const USAGE = `usage: npm run rotate-keys [-- --batch-size <n>]

Re-encrypts every stored api_key that is not sealed with the current key (the first of
API_KEY_ENCRYPTION_KEYS) and reports what it did. Safe to interrupt and to re-run.
Exit code 1 when some stored key cannot be opened with any configured key.

options:
  --batch-size <n>   rows read per query (default ${DEFAULT_BATCH_SIZE}, at most ${MAX_BATCH_SIZE})

environment: the server's: DATABASE_URL, API_KEY_ENCRYPTION_KEYS (current key first) or
API_KEY_ENCRYPTION_KEY, DATA_DIR (development keys).`;

class UsageError extends Error {}

function parseBatchSize(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_BATCH_SIZE;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_BATCH_SIZE) {
    throw new UsageError(`--batch-size must be an integer from 1 to ${MAX_BATCH_SIZE}`);
  }
  return value;
}

function printReport(report: RotationReport): void {
  for (const failure of report.failed) process.stderr.write(`rotate-keys: failed ${JSON.stringify(failure.modelId)}: ${failure.reason}\n`);
  process.stdout.write(
    `rotate-keys: scanned ${report.scanned}, re-encrypted ${report.reencrypted}, already current ${report.alreadyCurrent}, ` +
      `changed concurrently (skipped) ${report.changedConcurrently}, failed ${report.failed.length}\n`,
  );
  if (report.changedConcurrently > 0) {
    process.stdout.write('rotate-keys: rows changed by a gateway while this ran were left to it; run again to re-check them\n');
  }
  if (report.failed.length > 0) {
    process.stderr.write(
      'rotate-keys: the failed rows were left as they are: configure the key that sealed them (in API_KEY_ENCRYPTION_KEYS, after the current one) and run again, or re-send their api_key through the API\n',
    );
  }
}

async function run(argv: string[]): Promise<number> {
  let values: { 'batch-size'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { 'batch-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const batchSize = parseBatchSize(values['batch-size']);

  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) process.stderr.write(`config error: ${problem}\n`);
    return 1;
  }
  // Opening a missing SQLite path would create an empty database there: a mistyped
  // DATABASE_URL would then "succeed" with nothing scanned.
  if (config.database.provider === 'sqlite' && !fs.existsSync(config.database.sqlitePath!)) {
    process.stderr.write(`rotate-keys: no database at ${config.database.sqlitePath} (check DATABASE_URL)\n`);
    return 1;
  }

  const box = new SecretBox(config.encryptionKeys);
  const older = box.keyIds.slice(1);
  process.stdout.write(
    `rotate-keys: ${describeDatabase(config.database)}; current key ${box.currentKeyId}` +
      `${older.length > 0 ? `, also opening ${older.join(', ')}` : ''}\n`,
  );

  let stop = false;
  const onSignal = () => {
    // A second signal means now, e.g. when the database hangs.
    if (stop) process.exit(130);
    // Otherwise between rows: every row is re-sealed by one statement, so stopping there loses nothing.
    stop = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const database = await openDatabase(config.database, (err) =>
    process.stderr.write(`rotate-keys: database connection lost: ${err.message}\n`),
  );
  let report: RotationReport;
  try {
    report = await rotateKeys(prismaRotationStore(database.db), box, { batchSize, stopRequested: () => stop });
  } finally {
    await database.close();
  }
  printReport(report);
  if (report.interrupted) {
    process.stdout.write('rotate-keys: interrupted; what was re-encrypted stays so, run again to finish\n');
    return 130;
  }
  return report.failed.length > 0 ? 1 : 0;
}

/** First line only: driver errors can run on with the statement and its parameters. */
function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n').find((line) => line.trim() !== '') ?? 'unknown error';
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`rotate-keys: ${firstLine(err)}${err instanceof UsageError ? ' (see --help)' : ''}\n`);
      process.exitCode = err instanceof UsageError ? 2 : 1;
    },
  );
}
