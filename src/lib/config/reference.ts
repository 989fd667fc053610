/**
 * The reference of every variable, rendered from the table in ./variables.ts: `--help` for a
 * terminal and docs/config.md (`npm run docs:config`; test/config.test.ts fails when the
 * committed file no longer matches).
 */
import { GROUPS, SECRET_FILE_VARIABLES, VARIABLE_NAMES, variable, type Default, type VariableName } from './variables';

export interface DocumentedVariable {
  name: VariableName;
  /** Markdown, as the table's default column shows it. */
  default: string;
  /** Markdown: the meaning, the values allowed, and the file form where there is one. */
  meaning: string;
}

function describeDefault(declared: Default | undefined): string {
  if (declared === undefined) return 'unset';
  if (typeof declared === 'string') return `\`${declared}\``;
  const parts = [`\`${declared.development}\``];
  if (declared.test !== undefined) parts.push(`\`${declared.test}\` when \`NODE_ENV=test\``);
  if (declared.production !== undefined) parts.push(`\`${declared.production}\` in production`);
  return parts.join('; ');
}

export function documented(name: VariableName): DocumentedVariable {
  const spec = variable(name);
  const allowed = spec.parser.allowed ? `; ${spec.parser.allowed}` : '';
  const file = spec.secretFile ? ` Or \`${name}_FILE\`: the path of a file holding it.` : '';
  return { name, default: spec.defaultDoc ?? describeDefault(spec.default), meaning: `${spec.doc}${allowed}${file}` };
}

export const ALL_VARIABLES: DocumentedVariable[] = VARIABLE_NAMES.map(documented);

const SECRET_FILES_TEXT = `${SECRET_FILE_VARIABLES.join(', ')} can be read from a file instead, the way Docker and Kubernetes mount secrets: \`JWT_SECRET_FILE=/run/secrets/jwt_secret\`. A trailing newline is ignored. Setting both NAME and NAME_FILE is an error, and so is a file that cannot be read (the message names the file and the error code, never its content).`;

const ERRORS_TEXT =
  'Every variable is checked at start: each problem is reported on its own `config error: ...` line on stderr and the process exits with code 1 before touching the database. An empty variable counts as unset. A port already in use (or a HOST that is not an address of the machine) is reported in one line as well, `model-gateway failed to start: port 4000 is already in use (set PORT)`, exit code 1.';

function groups(): { title: string; variables: DocumentedVariable[] }[] {
  return GROUPS.map((title) => ({ title, variables: ALL_VARIABLES.filter((entry) => variable(entry.name).group === title) }));
}

/** Markdown wants `|` escaped inside table cells. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderMarkdown(): string {
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from src/lib/config/variables.ts by `npm run docs:config`; edit the table there. -->',
    '',
    'model-gateway is configured with environment variables only. `npm start -- --help` (or `node dist/main.js --help`) prints this list.',
    '',
    ERRORS_TEXT,
    '',
  ];
  for (const group of groups()) {
    lines.push(`## ${group.title}`, '', '| variable | default | meaning |', '|---|---|---|');
    for (const entry of group.variables) lines.push(`| \`${entry.name}\` | ${cell(entry.default)} | ${cell(entry.meaning)} |`);
    lines.push('');
  }
  lines.push('## Secrets as files', '', SECRET_FILES_TEXT, '');
  return lines.join('\n');
}

/** Plain text for a terminal: meanings wrapped under each name. */
function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(indent + line);
  return out;
}

/** A terminal shows backticks literally. */
export const plain = (text: string) => text.replace(/`/g, '');

export function renderHelp(): string {
  const lines = [
    'model-gateway: the GraphQL gateway and REST API of the model registry.',
    '',
    'Usage: npm start [-- --help]    or    node dist/main.js [--help]',
    '',
    'Configuration comes from environment variables (default in brackets):',
  ];
  for (const group of groups()) {
    lines.push('', `${group.title}:`);
    for (const entry of group.variables) {
      lines.push(`  ${entry.name}  [${plain(entry.default)}]`, ...wrap(plain(entry.meaning), 88, '      '));
    }
  }
  lines.push('', ...wrap(plain(`Secrets as files: ${SECRET_FILES_TEXT}`), 92, ''), '', ...wrap(plain(ERRORS_TEXT), 92, ''), '');
  return lines.join('\n');
}

// `node dist/lib/config/reference.js > docs/config.md` (npm run docs:config).
if (require.main === module) process.stdout.write(renderMarkdown());
