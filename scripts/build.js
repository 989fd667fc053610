#!/usr/bin/env node
/**
 * Compiles src/ into dist/ (tsc -p tsconfig.build.json) and stamps dist/.build-stamp.
 *
 *   node scripts/build.js             always compile (npm run build, npm test)
 *   node scripts/build.js --if-stale  compile only when a source changed since the stamp
 *
 * --if-stale is for the helper commands (npm run -s token, seed, start ...): even an incremental
 * tsc costs seconds just to find nothing to do, while comparing mtimes takes milliseconds. A
 * source is newer than the stamp when it was edited, checked out or added; a deleted one
 * changes its directory's mtime. Compiler output goes to stderr: stdout is the command's own
 * (`TOKEN=$(npm run -s token -- --sub alice)`).
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json'].map((name) => path.join(ROOT, name));
/** Outputs whose absence means "build", whatever the stamp says. */
const OUTPUTS = ['main.js', 'cli/token.js', 'cli/seed.js'].map((name) => path.join(ROOT, 'dist', name));

/** The newest mtime under `entry` (files and directories), in ms. */
function newest(entry) {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return 0;
  let latest = stat.mtimeMs;
  if (stat.isDirectory()) {
    for (const child of fs.readdirSync(entry)) latest = Math.max(latest, newest(path.join(entry, child)));
  }
  return latest;
}

function isStale() {
  const stamp = fs.statSync(STAMP, { throwIfNoEntry: false });
  if (!stamp || OUTPUTS.some((file) => !fs.existsSync(file))) return true;
  return INPUTS.some((input) => newest(input) > stamp.mtimeMs);
}

function build() {
  const started = new Date();
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (result.error) throw result.error;
  if (result.status !== 0) return result.status ?? 1;
  // The start time, not the end: a source saved while tsc ran is newer and builds next time.
  fs.writeFileSync(STAMP, `${started.toISOString()}\n`);
  fs.utimesSync(STAMP, started, started);
  return 0;
}

const ifStale = process.argv.includes('--if-stale');
process.exitCode = !ifStale || isStale() ? build() : 0;
