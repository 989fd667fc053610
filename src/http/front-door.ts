import express from 'express';
import type { Config } from '../lib/config';
import { GRAPHQL_IDE_PATH, graphqlIdeRoutes } from './graphql-ide';
import { AUTHORIZATION_PLACEHOLDER, SANDBOX_DOCUMENT, SANDBOX_VARIABLES, TOKEN_COMMAND } from './sandbox';

export interface FrontDoorLink {
  path: string;
  title: string;
}

/** What GET / names: where to go next. The IDE is listed only where it is served. */
export function frontDoorLinks(config: Pick<Config, 'landingPage'>): FrontDoorLink[] {
  return [
    { path: '/graphql', title: config.landingPage ? 'GraphQL endpoint (Apollo Sandbox in a browser)' : 'GraphQL endpoint' },
    ...(config.landingPage ? [{ path: GRAPHQL_IDE_PATH, title: 'GraphiQL, served by this gateway (works offline)' }] : []),
    { path: '/api/models', title: 'REST API' },
    { path: '/docs', title: 'REST reference (Swagger UI)' },
    { path: '/openapi.json', title: 'OpenAPI 3.1 document' },
    { path: '/healthz', title: 'liveness probe' },
  ];
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function html(links: FrontDoorLink[]): string {
  const items = links.map((l) => `    <li><a href="${l.path}"><code>${l.path}</code></a> ${l.title}</li>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>model-gateway</title>
  <link rel="icon" href="data:,">
  <style>body { font-family: system-ui, sans-serif; margin: 3rem auto; max-width: 40rem; line-height: 1.5; } code { font-size: 95%; }</style>
</head>
<body>
  <h1>model-gateway</h1>
  <p>The GraphQL gateway of the model registry. Every model operation needs <code>Authorization: Bearer &lt;token&gt;</code>
  (in development: <code>${TOKEN_COMMAND}</code>).</p>
  <ul>
${items}
  </ul>
</body>
</html>
`;
}

/**
 * GET / (a small page for browsers, JSON for everyone else) and, where the landing page is on,
 * the gateway's own GraphQL IDE.
 */
export function frontDoorRoutes(config: Config): express.Router {
  const router = express.Router();
  const links = frontDoorLinks(config);
  const page = html(links);
  router.get('/', (req, res) => {
    res.setHeader('Vary', 'Accept');
    if (req.accepts(['application/json', 'text/html']) === 'text/html') {
      res.setHeader('Content-Security-Policy', CSP);
      res.type('html').send(page);
      return;
    }
    res.json({ service: 'model-gateway', links });
  });
  if (config.landingPage) {
    router.use(
      graphqlIdeRoutes({ document: SANDBOX_DOCUMENT, variables: SANDBOX_VARIABLES, authorizationPlaceholder: AUTHORIZATION_PLACEHOLDER }),
    );
  }
  return router;
}
