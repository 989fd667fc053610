#!/usr/bin/env node
// `prisma generate` only checks that a schema-engine binary exists; it never runs it. The CLI
// would otherwise try to download one, which fails on machines without access to Prisma's
// binary host. Point it at this very file so generation works offline.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = __filename;

const schemas = ['prisma/schema.prisma', 'prisma/postgresql/schema.prisma'];
for (const schema of schemas) {
  const result = spawnSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--schema', schema], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
