/**
 * The document store (src/graphql/document-store.ts): a parsed document is counted by what it
 * holds in the heap (its tokens and its source), not by its JSON, and the store evicts the least
 * recently used documents once that estimate passes its budget. The real server's memory under a
 * stream of documents is test/memory.test.ts.
 */
import { parse } from 'graphql';
import { createDocumentStore, documentHeapBytes } from '../../src/graphql/document-store';

const small = (n: number) => parse(`query Q${n} { m${n}: models(limit: 1) { id modelId } }`);

describe('documentHeapBytes', () => {
  it('counts a parsed document at several times its JSON: the token list its locations keep alive', () => {
    const document = small(1);
    const json = Buffer.byteLength(JSON.stringify(document));
    // 18 tokens (with <SOF> and <EOF>): 1,024 + 18 x 450 + 2 x 48 characters.
    expect(documentHeapBytes(document)).toBe(1024 + 18 * 450 + 2 * 48);
    expect(documentHeapBytes(document)).toBeGreaterThan(4 * json);
  });

  it('grows with the tokens and with the source text (a long string literal)', () => {
    const fields = Array.from({ length: 100 }, (_, i) => `f${i}: id`).join(' ');
    expect(documentHeapBytes(parse(`{ models { ${fields} } }`))).toBeGreaterThan(100 * 3 * 450);
    expect(documentHeapBytes(parse(`{ model(modelId: "${'x'.repeat(50_000)}") { id } }`))).toBeGreaterThan(100_000);
  });

  it('falls back to five times the JSON for a document parsed without locations', () => {
    const document = parse('{ models { id } }', { noLocation: true });
    expect(documentHeapBytes(document)).toBe(1024 + 5 * Buffer.byteLength(JSON.stringify(document)));
  });
});

describe('createDocumentStore', () => {
  it('keeps documents up to its budget, evicting the least recently used first', async () => {
    const each = documentHeapBytes(small(10));
    const store = createDocumentStore(each * 3 + 100);
    for (const n of [10, 11, 12]) await store.set(`k${n}`, small(n));
    // A hit makes k10 the most recent: the next insertion evicts k11.
    expect(await store.get('k10')).toBeDefined();
    await store.set('k13', small(13));
    expect(await store.get('k11')).toBeUndefined();
    expect(await store.get('k10')).toBeDefined();
    expect(await store.get('k12')).toBeDefined();
    expect(await store.get('k13')).toBeDefined();
  });

  it('never keeps a document larger than the whole budget', async () => {
    const store = createDocumentStore(10_000);
    await store.set('big', parse(`{ model(modelId: "${'x'.repeat(20_000)}") { id } }`));
    expect(await store.get('big')).toBeUndefined();
  });
});
