import v8 from 'node:v8';

/**
 * Keeps the JavaScript heap close to what it really holds. Node sizes its heap limit from the
 * machine's memory (about 4 GB here), and V8 then lets the heap grow to several times its live
 * set before collecting: under load (new documents to parse, pages of models to serialize) the
 * gateway's heap reached 180 MB around 50 MB of live objects, and its RSS 350-400 MB. A smaller
 * growing factor and young generation keep it near the live set at no measurable throughput
 * cost (docs/benchmarks.md). Both are read by V8 at each collection, so setting them at start-up
 * takes effect; the heap limit itself (--max-old-space-size) cannot change after start and stays
 * the operator's to set to the container's memory (docs/deploy.md).
 *
 * An operator who passes either flag to node (command line or NODE_OPTIONS) keeps their value.
 */
export function keepHeapCompact(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].join(' ');
  const flags = [];
  if (!/--heap[-_]growing[-_]percent/.test(given)) flags.push('--heap-growing-percent=15');
  if (!/--max[-_]semi[-_]space[-_]size/.test(given)) flags.push('--max-semi-space-size=2');
  if (flags.length > 0) v8.setFlagsFromString(flags.join(' '));
}
