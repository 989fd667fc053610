import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { printSchema } from 'graphql';
import { buildGatewaySchema } from '../graphql/schema';
import { PROJECT_ROOT } from '../lib/config';

/**
 * Emits the code-first schema as SDL, in declaration order (deterministic, and argument order as the contract writes it):
 *   print-schema          write schema.graphql
 *   print-schema --check  exit 1 when the committed schema.graphql is stale
 */
async function main(): Promise<void> {
  const target = path.join(PROJECT_ROOT, 'schema.graphql');
  const sdl = printSchema(await buildGatewaySchema()) + '\n';
  if (process.argv.includes('--check')) {
    const committed = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (committed !== sdl) {
      process.stderr.write('schema.graphql is stale: run `npm run schema` and commit the result\n');
      process.exit(1);
    }
    process.stdout.write('schema.graphql is up to date\n');
    return;
  }
  fs.writeFileSync(target, sdl);
  process.stdout.write(`wrote ${path.relative(process.cwd(), target) || target}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
