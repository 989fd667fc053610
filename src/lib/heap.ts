import v8 from 'node:v8';

/**
 * Keeps the JavaScript heap close to what it really holds; runs when imported, and main.ts
 * imports it first, before the modules whose loading already grows the heap.
 *
 * Node sizes its heap limit from the machine's memory (about 4 GB on the bench machine), and V8
 * then lets the old generation grow to several times its live set before collecting, and the
 * young generation to 32 MB: under a stream of new documents the gateway's heap reached 180 MB
 * around 50 MB of live objects, and its RSS 350-400 MB. A 15% growing factor keeps the old
 * generation near its live set, and a young generation that does not grow (its first 1 MB
 * semi-spaces) trades 30 MB for more frequent scavenges of mostly dead per-request objects
 * (memory figures in docs/benchmarks.md; its throughput cost is measured by comparing
 * `npm run bench` with `--node-flags "--semi-space-growth-factor=2"`, V8's default).
 * Both flags are read by V8 when it sizes the heap after a collection, so
 * setting them at start-up takes effect (unlike --max-old-space-size or --max-semi-space-size,
 * which only count on node's command line: the heap limit stays the operator's, docs/deploy.md).
 *
 * An operator who passes any of these flags to node (command line or NODE_OPTIONS) keeps theirs.
 */
export function keepHeapCompact(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].join(' ').replace(/_/g, '-');
  const flags: string[] = [];
  if (!given.includes('--heap-growing-percent')) flags.push('--heap-growing-percent=15');
  if (!given.includes('--semi-space-growth-factor') && !given.includes('--max-semi-space-size')) flags.push('--semi-space-growth-factor=1');
  if (flags.length > 0) v8.setFlagsFromString(flags.join(' '));
}

keepHeapCompact();
