/**
 * The README's "Try it" section, replayed as a new user would paste it: every ```bash block in
 * order, in one bash session (so `TOKEN=...` carries over), against a real server on a fresh
 * database that generated its own development secrets (so `npm run -s token` signs with the
 * secret it finds under DATA_DIR, as it does after `npm start`). `localhost:4000` becomes the
 * test server's address; nothing else is changed.
 *
 * After a command, a comment `# → <status> [ETag: "<n>"] [`<text>`...]` states its answer:
 * the HTTP status curl -i printed, the ETag header, and text the body contains. Every command
 * must exit 0, and every curl must have a stated answer (a curl nobody checks proves nothing).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, startServer, type RunningServer } from './helpers/server';

interface Step {
  command: string;
  expect?: { status: number; etag?: string; contains: string[] };
}

function tryItSection(readme: string): string {
  const start = readme.indexOf('\n## Try it');
  expect(start).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

export function readmeSteps(readme: string): Step[] {
  const blocks = [...tryItSection(readme).matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);
  const steps: Step[] = [];
  for (const block of blocks) {
    let current: string[] = [];
    for (const line of block.split('\n')) {
      const answer = /^# → (\d{3})(.*)$/.exec(line);
      if (answer) {
        expect(steps.length > 0 || current.length > 0).toBe(true);
        const rest = answer[2];
        const etag = /ETag: ("[^"]*")/.exec(rest)?.[1];
        const contains = [...rest.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
        if (current.length > 0) steps.push({ command: current.join('\n'), expect: { status: Number(answer[1]), etag, contains } });
        current = [];
        continue;
      }
      if (line.trim() === '' || line.startsWith('#')) {
        if (current.length > 0 && !current[current.length - 1].endsWith('\\')) {
          steps.push({ command: current.join('\n') });
          current = [];
        }
        continue;
      }
      current.push(line);
    }
    if (current.length > 0) steps.push({ command: current.join('\n') });
  }
  return steps;
}

const MARK = '__readme_step__';

let srv: RunningServer;

beforeAll(async () => {
  // Secrets are left to the server: it generates them under its data dir, as on a first `npm start`.
  srv = await startServer({ env: { NODE_ENV: 'development', JWT_SECRET: undefined, API_KEY_ENCRYPTION_KEY: undefined } });
}, 60000);

afterAll(async () => {
  await srv?.stop();
});

test('the README has replayable steps, and every curl states its answer', () => {
  const steps = readmeSteps(fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8'));
  expect(steps.length).toBeGreaterThanOrEqual(8);
  for (const step of steps) {
    if (/\bcurl\b/.test(step.command)) {
      expect({ command: step.command, expect: step.expect }).toEqual({ command: step.command, expect: expect.any(Object) });
      expect(step.command).toMatch(/curl -s -i /);
      if (/-d '/.test(step.command)) expect(step.command).toContain("-H 'Content-Type: application/json'");
    }
  }
});

test("the README's Try-it commands, pasted in order, get the answers it states", () => {
  const steps = readmeSteps(fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8'));
  const address = new URL(srv.url).host;
  const script = steps
    .map((step, i) => {
      const command = step.command.replace(/localhost:4000/g, address);
      return `echo "${MARK}begin ${i}"\n${command}\nrc=$?\necho\necho "${MARK}end ${i} $rc"`;
    })
    .join('\n');
  const run = spawnSync('bash', ['-c', script], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 180000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATA_DIR: srv.dataDir, NODE_ENV: 'development' },
  });
  expect(run.error).toBeUndefined();
  const outputs = new Map<number, { output: string; rc: number }>();
  for (const m of run.stdout.matchAll(new RegExp(`${MARK}begin (\\d+)\\n([\\s\\S]*?)\\n${MARK}end \\1 (\\d+)`, 'g'))) {
    outputs.set(Number(m[1]), { output: m[2], rc: Number(m[3]) });
  }
  steps.forEach((step, i) => {
    const result = outputs.get(i);
    const context = { step: i, command: step.command, output: result?.output, stderr: run.stderr };
    expect({ ...context, ran: result !== undefined, rc: result?.rc }).toEqual({ ...context, ran: true, rc: 0 });
    if (!step.expect || !result) return;
    const [head, ...body] = result.output.replace(/\r/g, '').split('\n\n');
    const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(head)?.[1]);
    const etag = /^etag: (.*)$/im.exec(head)?.[1] ?? undefined;
    const text = body.join('\n\n');
    expect({ ...context, status }).toEqual({ ...context, status: step.expect.status });
    if (step.expect.etag) expect({ ...context, etag }).toEqual({ ...context, etag: step.expect.etag });
    for (const fragment of step.expect.contains)
      expect({ ...context, text }).toEqual({ ...context, text: expect.stringContaining(fragment) });
    // Never the key that went in.
    expect(text).not.toContain('sk-...');
  });
}, 200000);
