#!/usr/bin/env node
// The data model has one source of truth, described twice: prisma/schema.prisma (SQLite) and
// prisma/postgresql/schema.prisma (the same model with PostgreSQL's native column types). This
// fails when the two describe different models: everything from the first model/enum on must be
// equal once comments and `@db.*` native-type attributes are set aside.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SCHEMAS = ['prisma/schema.prisma', 'prisma/postgresql/schema.prisma'];

function normalizedModel(text) {
  const start = text.search(/^(model|enum|view|type)\s/m);
  if (start < 0) throw new Error('no model in schema');
  return text
    .slice(start)
    .split('\n')
    .map((line) =>
      line
        .replace(/\/\/.*$/, '')
        .replace(/@db\.\w+(\([^)]*\))?/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    )
    .filter((line) => line !== '');
}

function compareSchemas(root = ROOT) {
  const [a, b] = SCHEMAS.map((file) => normalizedModel(fs.readFileSync(path.join(root, file), 'utf8')));
  const problems = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) problems.push(`line ${i + 1} of the model: ${SCHEMAS[0]}: ${a[i] ?? '(none)'} | ${SCHEMAS[1]}: ${b[i] ?? '(none)'}`);
  }
  return problems;
}

module.exports = { compareSchemas, normalizedModel };

if (require.main === module) {
  const problems = compareSchemas();
  if (problems.length > 0) {
    process.stderr.write(`the two Prisma schemas describe different models:\n${problems.join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`${SCHEMAS.join(' and ')} describe the same model\n`);
}
