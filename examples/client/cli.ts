/**
 * Runs the example client's lifecycle against a running server:
 *
 *   TOKEN=$(npm run -s token -- --sub alice) GRAPHQL_URL=http://localhost:4000/graphql \
 *     npx tsx examples/client/cli.ts
 */
import { ClientError } from 'graphql-request';
import { errorCode, runExample } from './client';

async function main(): Promise<void> {
  const url = process.env.GRAPHQL_URL || 'http://localhost:4000/graphql';
  const token = process.env.TOKEN;
  if (!token) {
    process.stderr.write(
      'set TOKEN, e.g. TOKEN=$(npm run -s token -- --sub alice); GRAPHQL_URL defaults to http://localhost:4000/graphql\n',
    );
    process.exit(2);
  }
  await runExample(url, token, { log: (line) => process.stdout.write(`${line}\n`) });
}

main().catch((err: unknown) => {
  // Not err.message for a ClientError: graphql-request puts the whole request in it, variables
  // (an apiKey) included.
  const message = err instanceof ClientError ? (err.response.errors?.[0]?.message ?? `HTTP ${err.response.status}`) : String(err);
  const code = errorCode(err);
  process.stderr.write(`example failed${code ? ` (${code})` : ''}: ${message}\n`);
  process.exit(1);
});
