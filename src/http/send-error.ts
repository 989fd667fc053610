import type http from 'node:http';
import type { Logger } from 'pino';
import { errorAnswer, toAppError } from '../lib/errors';
import { logOf, noteRefusal, transportOf } from '../lib/request-log';

/**
 * Answers a request with an error, in its mount's transport: the edge's one way out for a
 * refusal (Express's error handler and the rate limiter both end here). Plain node:http, so a
 * server without Express can use it too.
 */
export function sendError(req: http.IncomingMessage, res: http.ServerResponse, err: unknown, logger: Logger): void {
  const transport = transportOf(res);
  const { error, unexpected } = toAppError(err, transport);
  const log = logOf(res, logger);
  // The path without the query string: it may hold a token.
  const path = (req.url ?? '').split('?', 1)[0];
  if (unexpected?.kind === 'unavailable') log.warn({ method: req.method, path }, 'database unavailable');
  else if (unexpected) {
    const e = unexpected.error as { name?: unknown; message?: unknown; stack?: unknown } | null;
    log.error({ err: { name: e?.name, message: e?.message, stack: e?.stack }, method: req.method, path }, 'unexpected error');
  }
  const answer = errorAnswer(error, transport);
  noteRefusal(res, answer.code);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(answer.body);
  res.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
