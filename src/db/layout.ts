// Where each provider's Prisma schema and migrations live. The SQLite and PostgreSQL schemas
// differ (column types, the PostgreSQL migrations create a schema), so each has its own folder.

import path from 'node:path';
import type { DbProvider } from '../lib/config';
import { PROJECT_ROOT } from '../lib/paths';

export interface PrismaLayout {
  schemaPath: string;
  migrationsDir: string;
}

export const PRISMA_LAYOUT: Readonly<Record<DbProvider, PrismaLayout>> = {
  sqlite: {
    schemaPath: path.join(PROJECT_ROOT, 'prisma', 'schema.prisma'),
    migrationsDir: path.join(PROJECT_ROOT, 'prisma', 'migrations'),
  },
  postgresql: {
    schemaPath: path.join(PROJECT_ROOT, 'prisma', 'postgresql', 'schema.prisma'),
    migrationsDir: path.join(PROJECT_ROOT, 'prisma', 'postgresql', 'migrations'),
  },
};

/** The migrations the service applies at start-up for `provider`. */
export function migrationsDirOf(provider: DbProvider): string {
  return PRISMA_LAYOUT[provider].migrationsDir;
}
