// Prisma Migrate without Prisma's native schema engine: the engine as WebAssembly (engine.ts),
// the driver adapters it talks through (adapters.ts), PostgreSQL administration around it
// (postgres.ts), migration folders (folders.ts), the commands (commands.ts) and the read-only
// check of what a SQLite file still needs (status.ts).

export { adapterFactoryFor, providerForUrl, sqliteFilePath } from './adapters';
export {
  checkDrift,
  createMigration,
  deployMigrations,
  diffFromEmpty,
  resolveMigration,
  type CreateMigrationOptions,
  type DeployOptions,
  type DiffOptions,
  type DriftOptions,
} from './commands';
export { MigrationError, type DbProvider, type MigrationLog } from './errors';
export { migrationSlug, schemaProvider } from './folders';
export { sqliteMigrationStatus, type SqliteMigrationStatus } from './status';
export { DEFAULT_POSTGRES_SERVER_URL, postgresServerUrl, withTemporaryPostgresDatabase } from './postgres';
