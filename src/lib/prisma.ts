import fs from 'node:fs';
import path from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { Prisma, PrismaClient } from '../generated/sqlite/client';
import type { Config } from './config';

export { Prisma };
export type Db = PrismaClient;

/** SQLITE_BUSY waits this long for a writer in another process before failing. */
const SQLITE_BUSY_TIMEOUT_MS = 5000;

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';
}

export async function openDatabase(database: Config['database']): Promise<Db> {
  if (database.provider !== 'sqlite' || !database.sqlitePath) {
    throw new Error(`database provider ${database.provider} is not supported yet`);
  }
  fs.mkdirSync(path.dirname(database.sqlitePath), { recursive: true });
  const adapter = new PrismaBetterSqlite3({ url: `file:${database.sqlitePath}`, timeout: SQLITE_BUSY_TIMEOUT_MS });
  const prisma = new PrismaClient({ adapter });
  // WAL lets readers run beside the writer and makes a commit an append, not a rewrite;
  // synchronous=NORMAL is durable across application crashes in WAL mode (only a power loss
  // can drop the last commits), and is what makes a write cost microseconds, not a millisecond.
  await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await prisma.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await prisma.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  return prisma;
}
