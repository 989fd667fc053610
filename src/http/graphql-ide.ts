import path from 'node:path';
import express from 'express';

/** Where the gateway serves its own GraphQL IDE (GraphiQL), which needs no internet. */
export const GRAPHQL_IDE_PATH = '/graphiql';

/**
 * Nothing leaves this server: scripts and styles are files from this origin, GraphiQL's fonts
 * are data: URIs inside its stylesheet, and the only request the page makes is to /graphql.
 * CodeMirror and GraphiQL write style attributes at run time, hence 'unsafe-inline' for styles
 * (never for scripts).
 */
export const GRAPHQL_IDE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

/** The prebuilt browser bundles (UMD) the packages ship: served as they are, nothing to build. */
const ASSETS: Record<string, () => string> = {
  'react.production.min.js': () => path.join(packageDir('react'), 'umd', 'react.production.min.js'),
  'react-dom.production.min.js': () => path.join(packageDir('react-dom'), 'umd', 'react-dom.production.min.js'),
  'graphiql.min.js': () => path.join(packageDir('graphiql'), 'graphiql.min.js'),
  'graphiql.min.css': () => path.join(packageDir('graphiql'), 'graphiql.min.css'),
};

export interface GraphQLIdeOptions {
  document: string;
  variables: Record<string, unknown>;
  authorizationPlaceholder: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function pageHtml(options: GraphQLIdeOptions): string {
  // Read by the page's own script from a data attribute: no inline script, so the CSP needs no nonce.
  const settings = escapeHtml(
    JSON.stringify({
      endpoint: '/graphql',
      query: options.document,
      variables: JSON.stringify(options.variables, null, 2),
      headers: JSON.stringify({ Authorization: options.authorizationPlaceholder }, null, 2),
    }),
  );
  const asset = `${GRAPHQL_IDE_PATH}/assets`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>model-gateway · GraphiQL</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="${asset}/graphiql.min.css">
  <link rel="stylesheet" href="${asset}/ide.css">
</head>
<body>
  <div id="graphiql" data-settings="${settings}">Loading GraphiQL…</div>
  <script src="${asset}/react.production.min.js"></script>
  <script src="${asset}/react-dom.production.min.js"></script>
  <script src="${asset}/graphiql.min.js"></script>
  <script src="${asset}/ide.js"></script>
</body>
</html>
`;
}

const IDE_CSS = 'html, body, #graphiql { height: 100%; margin: 0; width: 100%; overflow: hidden; }\n';

// Runs in the browser. The headers tab opens first: every model operation needs a token.
const IDE_JS = `(function () {
  var root = document.getElementById('graphiql');
  var settings = JSON.parse(root.getAttribute('data-settings'));
  var fetcher = GraphiQL.createFetcher({ url: new URL(settings.endpoint, window.location.href).toString() });
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: settings.query,
      defaultHeaders: settings.headers,
      defaultVariables: settings.variables,
      defaultEditorToolsVisibility: 'headers',
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }),
  );
})();
`;

/** GET /graphiql and its assets. Mounted only where the Sandbox landing page is (not in production by default). */
export function graphqlIdeRoutes(options: GraphQLIdeOptions): express.Router {
  const router = express.Router();
  const html = pageHtml(options);
  router.get(GRAPHQL_IDE_PATH, (_req, res) => {
    res.setHeader('Content-Security-Policy', GRAPHQL_IDE_CSP);
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(html);
  });
  router.get(`${GRAPHQL_IDE_PATH}/assets/ide.js`, (_req, res) => {
    res.type('application/javascript').send(IDE_JS);
  });
  router.get(`${GRAPHQL_IDE_PATH}/assets/ide.css`, (_req, res) => {
    res.type('text/css').send(IDE_CSS);
  });
  router.get(`${GRAPHQL_IDE_PATH}/assets/:file`, (req, res, next) => {
    const locate = Object.hasOwn(ASSETS, req.params.file) ? ASSETS[req.params.file] : undefined;
    if (!locate) {
      next();
      return;
    }
    res.sendFile(locate(), { maxAge: '1h' });
  });
  return router;
}
