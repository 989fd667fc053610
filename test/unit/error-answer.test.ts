/**
 * errorAnswer (src/lib/errors.ts): the one place an error becomes an HTTP answer, per transport.
 * These are the exact bodies, statuses and headers the edge's refusals have always had (the
 * HTTP suites check them end to end); here every code is seen side by side.
 */
import { errorAnswer, Errors, toAppError, type AppError, type Transport } from '../../src/lib/errors';

const both = (err: AppError) => ({ rest: errorAnswer(err, 'rest'), graphql: errorAnswer(err, 'graphql') });
const gqlBody = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });

describe('errorAnswer: one status and one GraphQL code per refusal', () => {
  it.each<[string, AppError, number, Record<string, string>, unknown, unknown]>([
    [
      '413',
      Errors.payloadTooLarge(1024),
      413,
      {},
      { detail: 'Request body too large (limit 1024 bytes)' },
      gqlBody('Request body too large (limit 1024 bytes)', 'PAYLOAD_TOO_LARGE'),
    ],
    [
      '429',
      Errors.rateLimited(42),
      429,
      { 'Retry-After': '42' },
      { detail: 'Too Many Requests' },
      gqlBody('Too many requests; retry after 42 seconds.', 'RATE_LIMITED'),
    ],
    [
      '503',
      Errors.unavailable(),
      503,
      { 'Retry-After': '1' },
      { detail: 'Service Unavailable' },
      gqlBody('Service temporarily unavailable; retry shortly', 'SERVICE_UNAVAILABLE'),
    ],
    ['500', Errors.internal(), 500, {}, { detail: 'Internal Server Error' }, gqlBody('Internal server error', 'INTERNAL_SERVER_ERROR')],
    ['400', Errors.malformedBody(), 400, {}, { detail: 'Bad Request' }, gqlBody('Malformed request body', 'BAD_REQUEST')],
    ['404', Errors.routeNotFound(), 404, {}, { detail: 'Not Found' }, gqlBody('Not Found', 'NOT_FOUND')],
    [
      '405',
      Errors.methodNotAllowed(['GET', 'PUT']),
      405,
      { Allow: 'GET, HEAD, PUT' },
      { detail: 'Method Not Allowed' },
      gqlBody('Method Not Allowed', 'METHOD_NOT_ALLOWED'),
    ],
    [
      '401',
      Errors.notAuthenticated(),
      401,
      { 'WWW-Authenticate': 'Bearer' },
      { detail: 'Not authenticated' },
      gqlBody('Not authenticated', 'UNAUTHENTICATED'),
    ],
    [
      '412',
      Errors.preconditionFailed(7),
      412,
      { ETag: '"7"' },
      { detail: 'Precondition Failed' },
      { errors: [{ message: 'Precondition Failed', extensions: { code: 'CONFLICT', currentVersion: 7 } }] },
    ],
  ])('%s', (_label, err, status, headers, rest, graphql) => {
    const answers = both(err);
    expect(answers.rest).toEqual({ status, headers, body: rest, code: expect.any(String) });
    expect(answers.graphql).toEqual({ status, headers, body: graphql, code: answers.rest.code });
  });

  it('a 422 names `loc` from where the input was read, never the value', () => {
    const answer = errorAnswer(Errors.undecodableBody(), 'rest');
    expect(answer).toEqual({
      status: 422,
      headers: {},
      body: { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] },
      code: 'BAD_USER_INPUT',
    });
  });
});

describe("toAppError: the edge's reading of errors it did not raise", () => {
  const asAnswer = (err: unknown, transport: Transport) => {
    const { error } = toAppError(err, transport);
    const { status, body } = errorAnswer(error, transport);
    return { status, body };
  };

  it("body-parser's 413 carries its limit", () => {
    const err = Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, limit: 2048 });
    expect(asAnswer(err, 'rest')).toEqual({ status: 413, body: { detail: 'Request body too large (limit 2048 bytes)' } });
  });

  it('an unsupported charset: REST 422 json_invalid, GraphQL 400', () => {
    const err = Object.assign(new Error('unsupported charset'), { type: 'charset.unsupported', status: 415 });
    expect(asAnswer(err, 'rest')).toEqual({
      status: 422,
      body: { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] },
    });
    expect(asAnswer(err, 'graphql')).toEqual({ status: 400, body: gqlBody('Malformed request body', 'BAD_REQUEST') });
  });

  it('unreadable JSON: REST 400 Bad Request, GraphQL 400 BAD_REQUEST', () => {
    const err = Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 });
    expect(asAnswer(err, 'rest')).toEqual({ status: 400, body: { detail: 'Bad Request' } });
    expect(asAnswer(err, 'graphql')).toEqual({ status: 400, body: gqlBody('Malformed request body', 'BAD_REQUEST') });
  });

  it('a lost database is 503 and flagged; anything else a masked 500, flagged for the log', () => {
    const lost = toAppError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'rest');
    expect([lost.error.code, lost.unexpected?.kind]).toEqual(['UNAVAILABLE', 'unavailable']);
    const boom = toAppError(new TypeError('secret internals'), 'graphql');
    expect([boom.error.code, boom.unexpected?.kind, boom.error.message]).toEqual(['INTERNAL', 'internal', 'Internal server error']);
  });
});
