import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { DocumentNode } from 'graphql';

/**
 * Estimated heap the cache of parsed and validated documents may hold. Real applications send a
 * few dozen to a few hundred distinct operations (about 10-100 KB each by the estimate below), so
 * this keeps all of them; a stream of distinct documents (anyone can send one, no token needed:
 * parsing and validation come before any resolver asks for the caller) only churns it.
 */
export const DOCUMENT_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Heap per lexer token of a parsed document with locations: the token itself (graphql-js keeps
 * the whole doubly linked token list alive through every node's `loc`), the AST nodes and their
 * Location objects. Measured on node 20 / graphql 16: 290-420 bytes per token over documents of
 * 18 to 410 tokens (parse, keep 2,000-20,000 of them, full GC, heapUsed delta); rounded up.
 */
const BYTES_PER_TOKEN = 450;
/** The cache key (Apollo's prefix and SHA-256), the LRU's own entry, the Source object. */
const BYTES_PER_ENTRY = 1024;
/** JSON leaves out the tokens and Location objects: a parsed document weighs 2.6-4.8x its JSON. */
const HEAP_PER_JSON_BYTE = 5;

/**
 * What a cached document really costs in memory. Apollo's default store counts the document's
 * JSON, a third to a fifth of its heap, so its 30 MiB "limit" held 100-150 MB of live heap and
 * the process grew to about 900 MB RSS under a stream of distinct documents.
 */
export function documentHeapBytes(document: DocumentNode): number {
  const loc = document.loc;
  if (!loc) return BYTES_PER_ENTRY + HEAP_PER_JSON_BYTE * Buffer.byteLength(JSON.stringify(document), 'utf8');
  let tokens = 0;
  // Bounded: parsing stopped at GRAPHQL_MAX_TOKENS, and only parsed documents get here.
  for (let token: typeof loc.startToken | null = loc.startToken; token; token = token.next) tokens++;
  // The source text is held by the Source object and again, in pieces, by names and string values.
  return BYTES_PER_ENTRY + tokens * BYTES_PER_TOKEN + 2 * loc.source.body.length;
}

/** Apollo's `documentStore`: least recently used documents go first once the estimate exceeds `maxBytes`. */
export function createDocumentStore(maxBytes = DOCUMENT_CACHE_BYTES): InMemoryLRUCache<DocumentNode> {
  return new InMemoryLRUCache<DocumentNode>({ maxSize: maxBytes, sizeCalculation: documentHeapBytes });
}
