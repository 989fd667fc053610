import path from 'node:path';

/**
 * `describe` when what the suite needs is there, else `describe.skip` and one line on stderr
 * saying which file is skipped and what would run it, so a green `npm test` never hides a
 * suite that did not run.
 */
export function describeIf(available: boolean, testFile: string, reason: string): jest.Describe {
  // Straight to stderr: jest drops the buffered console output of a suite whose tests all skipped.
  if (!available) process.stderr.write(`SKIPPED in test/${path.basename(testFile)}: ${reason}\n`);
  return available ? describe : describe.skip;
}

export const NEEDS_POSTGRES =
  'the PostgreSQL tests; to run them set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test (or npm run test:postgres)';
