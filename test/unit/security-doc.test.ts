/**
 * docs/security.md points every threat at a test, as `test/<file>.test.ts › <describe> › <test>`.
 * This keeps those references true: every row of a threat table names at least one test, every
 * file exists, and every describe/test chain exists in that file (read with the TypeScript parser,
 * so template titles, `it.each` placeholders and nesting are understood). Renaming or deleting a
 * test then breaks CI here instead of leaving a row that points at nothing.
 *
 * Whether a referenced test passes is the job of running it (the doc says how); this file only
 * reads sources, so it runs in milliseconds without a server.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
const DOC_PATH = path.join(ROOT, 'docs', 'security.md');
const SEPARATOR = ' › ';

/* ------------------------------------------------------------------ the document */

interface Reference {
  /** The row's id (first cell), e.g. T1. */
  row: string;
  raw: string;
  file: string;
  /** Describe titles, outermost first, then the test's title. */
  titles: string[];
}

/** Inline code spans of a markdown fragment (any backtick run as delimiter, CommonMark's space stripping). */
function codeSpans(text: string): string[] {
  const spans: string[] = [];
  for (const match of text.matchAll(/(`+)([\s\S]*?[^`])\1(?!`)/g)) {
    let content = match[2]!;
    if (content.length > 2 && content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') content = content.slice(1, -1);
    spans.push(content);
  }
  return spans;
}

/** Cells of a table line, split on pipes that are not escaped. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

interface TableRow {
  id: string;
  line: number;
  testCell: string;
}

/** Body rows of every table whose header has a `Test` column. */
function threatRows(markdown: string): TableRow[] {
  const lines = markdown.split('\n');
  const rows: TableRow[] = [];
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.trim().startsWith('|') || !/^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1]!)) continue;
    const header = cells(lines[i]!);
    const testColumn = header.findIndex((cell) => /^Test\b/.test(cell));
    if (testColumn < 0) continue;
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim().startsWith('|'); j++) {
      const row = cells(lines[j]!);
      rows.push({ id: row[0] ?? '', line: j + 1, testCell: row[testColumn] ?? '' });
    }
    i = j - 1;
  }
  return rows;
}

function referencesOf(row: TableRow): Reference[] {
  return codeSpans(row.testCell)
    .filter((span) => span.startsWith('test/'))
    .map((raw) => {
      const [file, ...titles] = raw.split(SEPARATOR);
      return { row: row.id, raw, file: file!, titles };
    });
}

/* ------------------------------------------------------------------ the tests in a file */

/** A title as jest will print it: literal text and holes (template `${...}`, `it.each` placeholders). */
type Title = (string | null)[];

interface Declared {
  titles: Title[];
  /** it.skip, xit, it.todo, ...: never runs, so it proves nothing. */
  inert: boolean;
}

const DESCRIBE = /^(describe|fdescribe|xdescribe)([A-Z]\w*)?$/;
const TEST = /^(it|test|fit|xit|xtest)([A-Z]\w*)?$/;

/** What a callee like `describe`, `it.each(table)`, `test.skip` or `itWithRedis` is. */
function classify(callee: ts.Expression): { kind: 'describe' | 'test'; each: boolean; inert: boolean } | null {
  let each = false;
  let inert = false;
  let node: ts.Expression = callee;
  for (;;) {
    if (ts.isCallExpression(node)) {
      node = node.expression; // `it.each(table)` called with the title
    } else if (ts.isPropertyAccessExpression(node)) {
      const modifier = node.name.text;
      if (modifier === 'each') each = true;
      else if (modifier === 'skip' || modifier === 'todo') inert = true;
      else if (!['only', 'concurrent', 'failing'].includes(modifier)) return null;
      node = node.expression;
    } else {
      break;
    }
  }
  if (!ts.isIdentifier(node)) return null;
  const name = node.text;
  if (/^x/.test(name)) inert = true;
  if (DESCRIBE.test(name)) return { kind: 'describe', each, inert };
  if (TEST.test(name)) return { kind: 'test', each, inert };
  return null;
}

/** `it.each` placeholders (printf-style and `$field` for object rows) become holes. */
function withPlaceholders(text: string): Title {
  const parts: Title = [];
  let last = 0;
  for (const match of text.matchAll(/%[sdifjoOp#]|\$[A-Za-z_][\w.]*|%%/g)) {
    parts.push(text.slice(last, match.index));
    parts.push(match[0] === '%%' ? '%' : null);
    last = match.index! + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

function titleOf(node: ts.Expression | undefined, each: boolean): Title {
  const literal = (text: string): Title => (each ? withPlaceholders(text) : [text]);
  if (!node) return [null];
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return literal(node.text);
  if (ts.isTemplateExpression(node)) {
    const parts: Title = [...literal(node.head.text)];
    for (const span of node.templateSpans) parts.push(null, ...literal(span.literal.text));
    return parts;
  }
  return [null];
}

const isFunction = (node: ts.Node | undefined) => !!node && (ts.isArrowFunction(node) || ts.isFunctionExpression(node));

function declaredTests(source: string, fileName = 'test.ts'): Declared[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Declared[] = [];
  const visit = (node: ts.Node, outer: Title[], outerInert: boolean): void => {
    if (ts.isCallExpression(node)) {
      const kind = classify(node.expression);
      const [title, body] = node.arguments;
      // A describe/test has a body; `describeOutcomes(x)` or a bare `it.todo(title)` does not
      // (todo is still recorded: a row must not point at one).
      if (kind && (isFunction(body) || (kind.kind === 'test' && kind.inert))) {
        const titles = [...outer, titleOf(title, kind.each)];
        const inert = outerInert || kind.inert;
        if (kind.kind === 'test') {
          found.push({ titles, inert });
          return;
        }
        ts.forEachChild(body!, (child) => visit(child, titles, inert));
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, outer, outerInert));
  };
  visit(file, [], false);
  return found;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether `name` is what jest prints for `title`. A hole's text must come from the file: each of
 * its words (numbers aside: they are often computed) appears in the source, so a template cannot
 * match arbitrary text.
 */
function titleMatches(title: Title, name: string, source: string): boolean {
  const pattern = new RegExp(`^${title.map((part) => (part === null ? '([\\s\\S]+?)' : escapeRegExp(part))).join('')}$`);
  const match = pattern.exec(name);
  if (!match) return false;
  return match
    .slice(1)
    .every((hole) => (hole.match(/[\p{L}\p{N}_-]+/gu) ?? []).every((word) => /^\d+$/.test(word) || source.includes(word)));
}

/** Why a reference does not hold, or null when it does. */
function problemWith(ref: Reference, root = ROOT): string | null {
  if (!/^test\/.+\.test\.ts$/.test(ref.file)) return `"${ref.file}" is not a test file path (test/<name>.test.ts)`;
  const file = path.join(root, ref.file);
  if (!fs.existsSync(file)) return `${ref.file} does not exist`;
  if (ref.titles.length === 0) return 'names a file but no test';
  const source = fs.readFileSync(file, 'utf8');
  const candidates = declaredTests(source, file).filter(
    (declared) =>
      declared.titles.length === ref.titles.length && declared.titles.every((title, i) => titleMatches(title, ref.titles[i]!, source)),
  );
  if (candidates.length === 0) return `no test "${ref.titles.join(SEPARATOR)}" in ${ref.file}`;
  if (candidates.every((declared) => declared.inert)) return `"${ref.titles.at(-1)}" is skipped or a todo: it proves nothing`;
  return null;
}

/* ------------------------------------------------------------------ the checks */

const doc = fs.readFileSync(DOC_PATH, 'utf8');
const rows = threatRows(doc);
const references = rows.flatMap(referencesOf);

describe('docs/security.md', () => {
  it('has threat tables for tokens, access control, input, GraphQL abuse, HTTP, secrets, concurrency and availability', () => {
    for (const heading of ['Tokens', 'Access control', 'Input', 'GraphQL abuse', 'HTTP', 'Secrets', 'Concurrency', 'Availability']) {
      expect(doc).toMatch(new RegExp(`^## ${heading}$`, 'm'));
    }
    expect(doc).toMatch(/^## What is not defended$/m);
    expect(rows.length).toBeGreaterThan(60);
  });

  it('every row has an id of its own and points at at least one test', () => {
    const ids = rows.map((row) => row.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(rows.filter((row) => !/^[A-Z]\d+$/.test(row.id)).map((row) => `line ${row.line}`)).toEqual([]);
    expect(rows.filter((row) => referencesOf(row).length === 0).map((row) => `${row.id} (line ${row.line})`)).toEqual([]);
  });

  it('every code span in a Test cell is a well-formed reference', () => {
    const malformed = rows.flatMap((row) =>
      codeSpans(row.testCell)
        .filter((span) => !span.startsWith('test/') || span.split(SEPARATOR).length < 2)
        .map((span) => `${row.id}: ${span}`),
    );
    expect(malformed).toEqual([]);
  });

  it.each(references.map((ref) => [`${ref.row}: ${ref.raw}`, ref] as const))('%s', (_label, ref) => {
    expect(problemWith(ref)).toBeNull();
  });
});

describe('the reference checker', () => {
  const ref = (raw: string): Reference => {
    const [file, ...titles] = raw.split(SEPARATOR);
    return { row: 'X1', raw, file: file!, titles };
  };

  it('reads describe/test chains, template titles and it.each placeholders', () => {
    const source = `
      const N = 20;
      const who = 'bob';
      describe('outer', () => {
        describe.each(['SIGTERM'])('%s', () => {
          it(\`\${N} writers as \${who}\`, async () => {});
          it.each([['a "quoted" name']])('case %s works', () => {});
          it.skip('skipped one', () => {});
          it.todo('not written yet');
        });
      });
      itWithRedis('top level', () => {});
      describeOutcomes(outcomes);`;
    const titles = declaredTests(source).map((d) => ({ depth: d.titles.length, inert: d.inert }));
    expect(titles).toEqual([
      { depth: 3, inert: false },
      { depth: 3, inert: false },
      { depth: 3, inert: true },
      { depth: 3, inert: true },
      { depth: 1, inert: false },
    ]);
  });

  it('accepts the real thing and reports a renamed test, a wrong describe, a missing file and a skipped test', () => {
    const real = references[0]!;
    expect(problemWith(real)).toBeNull();
    const renamed = ref(`${real.file}${SEPARATOR}${real.titles.slice(0, -1).join(SEPARATOR)}${SEPARATOR}${real.titles.at(-1)} (renamed)`);
    expect(problemWith(renamed)).toMatch(/^no test /);
    const moved = ref(`${real.file}${SEPARATOR}some other describe${SEPARATOR}${real.titles.at(-1)}`);
    expect(problemWith(moved)).toMatch(/^no test /);
    expect(problemWith(ref(`test/nowhere.test.ts${SEPARATOR}a${SEPARATOR}b`))).toMatch(/does not exist/);
    expect(problemWith(ref('test/auth.test.ts'))).toMatch(/no test/);
    // errors.test.ts keeps a todo for the 500 row that cannot be provoked through the API.
    expect(
      problemWith(
        ref(
          `test/errors.test.ts${SEPARATOR}500: anything unexpected${SEPARATOR}500 {"detail": "Internal Server Error"}: not provokable through the API`,
        ),
      ),
    ).toMatch(/skipped or a todo/);
  });

  it('fills a placeholder only with text from the file', () => {
    const good = ref(
      `test/auth.test.ts${SEPARATOR}a token in the query string is refused, even beside a valid Authorization header${SEPARATOR}REST ?access_token=<valid token>: 401 on every route and method, nothing changes`,
    );
    expect(problemWith(good)).toBeNull();
    const invented = ref(good.raw.replace('?access_token=', '?made_up_param='));
    expect(problemWith(invented)).toMatch(/^no test /);
  });

  it('parses code spans delimited by double backticks (titles that contain a backtick)', () => {
    expect(codeSpans('a ``x `y` z`` b `c`')).toEqual(['x `y` z', 'c']);
  });
});
