/**
 * Where a `node --cpu-prof` profile spent its time: self time by function and by package (or
 * source file), and inclusive time of the functions that matter, as plain text.
 *
 *   npm run bench -- --only graphql-update --cpu-prof /tmp/prof
 *   npx tsx scripts/bench/profile-summary.ts /tmp/prof/CPU.*.cpuprofile [--top 30] [--match name]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, match: { type: 'string', multiple: true } },
});
const top = Number(values.top);
if (positionals.length === 0) {
  process.stderr.write('usage: profile-summary <file.cpuprofile> [--top N] [--match functionName ...]\n');
  process.exit(2);
}

/** node_modules/<package> (scoped too), a project file, or node's internals. */
function ownerOf(url: string): string {
  if (!url) return '(native / vm)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  const project = /\/(dist|src|scripts)\/(.*)$/.exec(url);
  return project ? `${project[1]}/${project[2]}` : url;
}

const label = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${ownerOf(f.url)}:${f.lineNumber + 1}`;

for (const file of positionals) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = profile.timeDeltas.reduce((a, b) => a + b, 0);

  const selfByFunction = new Map<string, number>();
  const selfByOwner = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const name = label(node.callFrame);
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + us);
    const owner = ['(idle)', '(program)', '(garbage collector)'].includes(node.callFrame.functionName)
      ? node.callFrame.functionName
      : ownerOf(node.callFrame.url);
    selfByOwner.set(owner, (selfByOwner.get(owner) ?? 0) + us);
    // Every distinct function on the stack gets this sample once (recursion counted once).
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = label(byId.get(at)!.callFrame);
      if (seen.has(frame)) continue;
      seen.add(frame);
      inclusive.set(frame, (inclusive.get(frame) ?? 0) + us);
    }
  }

  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const print = (title: string, map: Map<string, number>, n: number, filter?: (k: string) => boolean) => {
    process.stdout.write(`\n${title}\n`);
    [...map]
      .filter(([k]) => !filter || filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .forEach(([k, us]) => process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`));
  };
  process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled\n`);
  print('self time by package / file', selfByOwner, top);
  print('self time by function', selfByFunction, top);
  const matches = values.match ?? [];
  print('inclusive time' + (matches.length ? ` (functions matching ${matches.join(', ')})` : ''), inclusive, top, (k) =>
    matches.length ? matches.some((m) => k.includes(m)) : !k.startsWith('('),
  );
}
