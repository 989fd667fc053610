import type http from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { landingPageCspFor } from '../lib/http-security';
import { noteRefusal, operationStarted } from '../lib/request-log';

/** A request whose body a parser already read (JSON for POST; absent for GET). */
export type ParsedRequest = http.IncomingMessage & { body?: unknown };

/**
 * Serves GraphQL through Apollo Server's own HTTP entry point (executeHTTPGraphQLRequest) on
 * plain node:http objects: Express only mounts it, and a server without Express can call it
 * directly once the body is parsed.
 */
export function graphqlHandler<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (req: ParsedRequest, res: http.ServerResponse) => Promise<TContext>,
): (req: ParsedRequest, res: http.ServerResponse) => Promise<void> {
  return async (req, res) => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? 'GET').toUpperCase(),
        headers,
        search: query < 0 ? '' : url.slice(query),
        body: req.body,
      },
      context: () => context(req, res),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'chunked') {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
      return;
    }
    const body = response.body.string;
    const type = response.headers.get('content-type') ?? '';
    const csp = landingPageCspFor(type, body);
    if (csp) res.setHeader('Content-Security-Policy', csp);
    if (type && !/;\s*charset=/i.test(type)) res.setHeader('Content-Type', `${type}; charset=utf-8`);
    if (res.statusCode >= 400 && !operationStarted(res)) noteRefusal(res, refusalCode(body));
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  };
}

/**
 * Apollo refused the HTTP request itself (no query, CSRF, a method it does not serve) before
 * any plugin saw an operation: its answer holds one error, whose code is the refusal's.
 */
function refusalCode(body: string): string {
  try {
    const code = (JSON.parse(body) as { errors?: { extensions?: { code?: unknown } }[] }).errors?.[0]?.extensions?.code;
    return typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : 'UNKNOWN';
  } catch {
    return 'UNKNOWN';
  }
}
