import { isUtf8 } from 'node:buffer';
import type http from 'node:http';

/**
 * Bodies that are not valid text in their charset. Decoding would replace each bad byte with
 * U+FFFD and store that as if the client had sent it; such a body is malformed instead.
 * body-parser hands its `verify` hook the raw bytes: the hook only marks the request, so REST
 * can still answer 401 before 422 (the contract's order) and GraphQL refuses right after parsing
 * (json-body.ts).
 */

const UNDECODABLE = Symbol('undecodable-body');
type Marked = http.IncomingMessage & { [UNDECODABLE]?: true };

/** body-parser's `verify` option: marks a body declared (or defaulted to) UTF-8 that is not. */
export function markUndecodable(req: http.IncomingMessage, _res: http.ServerResponse, buf: Buffer, encoding: string): void {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(buf)) (req as Marked)[UNDECODABLE] = true;
}

export const bodyIsUndecodable = (req: http.IncomingMessage): boolean => (req as Marked)[UNDECODABLE] === true;
