import { isUtf8 } from 'node:buffer';
import type http from 'node:http';
import { finished } from 'node:stream';
import express from 'express';
import { Errors } from '../lib/errors';
import { bodyIsUndecodable, markUndecodable } from './body';

/**
 * The GraphQL edge's JSON body, read without Express. The common request (`application/json`,
 * UTF-8 or no charset, no Content-Encoding) is read here: Content-Length checked against the
 * limit before a byte is read, the stream capped while it is read, the bytes checked as UTF-8,
 * then `JSON.parse`. Anything unusual (another charset, a compressed body) goes to body-parser,
 * the parser this edge used before, so that its answers stay what they were.
 *
 * The answers are body-parser's: no body (no Content-Length, no Transfer-Encoding) or another
 * media type leaves the body undefined (Apollo answers that); an empty JSON body is `{}`; a
 * body that is not a JSON object or array, not JSON, not UTF-8, or shorter than its
 * Content-Length is malformed (400); past the limit it is 413. A refused body is read to its end
 * before the answer, as body-parser does, so the client sees the answer rather than a reset.
 */

type Done = (err: unknown, body?: unknown) => void;

const STRICT_FIRST = /^[\x20\x09\x0a\x0d]*[[{]/;

/** `application/json`, alone or with `charset=utf-8`: the requests this reader takes itself. */
function plainJsonType(header: string | undefined): 'plain' | 'other-json' | 'not-json' {
  if (header === undefined) return 'not-json';
  const semi = header.indexOf(';');
  const type = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  if (type !== 'application/json') return 'not-json';
  if (semi < 0) return 'plain';
  const params = header
    .slice(semi + 1)
    .trim()
    .toLowerCase();
  return params === 'charset=utf-8' || params === 'charset="utf-8"' ? 'plain' : 'other-json';
}

export function jsonBodyReader(limitBytes: number): (req: http.IncomingMessage, res: http.ServerResponse, done: Done) => void {
  const fallback = express.json({ limit: limitBytes, verify: markUndecodable });
  const fromBodyParser = (req: http.IncomingMessage, res: http.ServerResponse, done: Done) => {
    fallback(req as express.Request, res as express.Response, (err?: unknown) => {
      if (err) done(err);
      else if (bodyIsUndecodable(req)) done(Errors.malformedBody());
      else done(null, (req as { body?: unknown }).body);
    });
  };

  return (req, res, done) => {
    const headers = req.headers;
    const length = headers['content-length'];
    // type-is's hasBody: no framing header means no body at all.
    if (headers['transfer-encoding'] === undefined && (length === undefined || Number.isNaN(Number(length)))) return done(null, undefined);
    const kind = plainJsonType(headers['content-type']);
    if (kind === 'not-json') return done(null, undefined);
    const encoding = headers['content-encoding'];
    if (kind === 'other-json' || (encoding !== undefined && encoding.toLowerCase() !== 'identity')) return fromBodyParser(req, res, done);

    // Refusals wait for the rest of the request, as body-parser's do.
    const refuse = (err: unknown) => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      if (req.readableEnded) done(err);
      else {
        finished(req, () => done(err));
        req.resume();
      }
    };
    const declared = length === undefined ? undefined : parseInt(length, 10);
    if (declared !== undefined && declared > limitBytes) return refuse(Errors.payloadTooLarge(limitBytes));

    const chunks: Buffer[] = [];
    let received = 0;
    function onData(chunk: Buffer) {
      received += chunk.length;
      if (received > limitBytes) refuse(Errors.payloadTooLarge(limitBytes));
      else chunks.push(chunk);
    }
    function onError() {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      done(Errors.malformedBody());
    }
    function onEnd() {
      req.removeListener('data', onData);
      req.removeListener('error', onError);
      if (declared !== undefined && received !== declared) return done(Errors.malformedBody());
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      if (!isUtf8(bytes)) return done(Errors.malformedBody());
      let text = bytes.toString('utf8');
      // iconv-lite (body-parser's decoder) drops a byte order mark.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) return done(null, {});
      if (text[0] !== '{' && text[0] !== '[' && !STRICT_FIRST.test(text)) return done(Errors.malformedBody());
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return done(Errors.malformedBody());
      }
      done(null, body);
    }
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  };
}
