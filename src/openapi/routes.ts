import path from 'node:path';
import { Router, type Response } from 'express';
import { openApiDocument } from './openapi';

/**
 * The REST API's description, for people and tools, without authentication:
 *   GET /openapi.json, GET /api/openapi.json  the OpenAPI 3.1 document
 *   GET /docs                                 a reference page (Swagger UI) rendering it
 *
 * Swagger UI comes from the `swagger-ui-dist` package and is served from here, so the page
 * works without reaching any CDN.
 */

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** Only what the page loads; the rest of the package (its package.json, source maps) stays private. */
const ASSETS = new Set(['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png', 'favicon-16x16.png']);

/**
 * What the page needs, as a Content-Security-Policy, set on every /docs response (it replaces
 * one a global middleware such as helmet set before): scripts and the document only from this
 * origin, no inline script (the start-up code is /docs/init.js); Swagger UI sets inline styles
 * and draws icons from data: URIs.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const DOCS_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${openApiDocument.info.title}</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="/docs/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

// No validator badge: it would send the document to a third-party service.
const DOCS_INIT_JS = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    // The token survives a reload (Swagger UI keeps it in this origin's localStorage).
    persistAuthorization: true,
    defaultModelsExpandDepth: 1,
  });
});
`;

function docsHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', DOCS_CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

export function openApiRoutes(): Router {
  const router = Router();
  const body = JSON.stringify(openApiDocument);

  const sendDocument = (_req: unknown, res: Response): void => {
    res.type('application/json').send(body);
  };
  router.get('/openapi.json', sendDocument);
  router.get('/api/openapi.json', sendDocument);

  router.get('/docs', (_req, res) => {
    docsHeaders(res);
    res.type('html').send(DOCS_HTML);
  });
  router.get('/docs/init.js', (_req, res) => {
    docsHeaders(res);
    res.type('application/javascript').send(DOCS_INIT_JS);
  });
  router.get('/docs/:asset', (req, res, next) => {
    if (!ASSETS.has(req.params.asset)) {
      next();
      return;
    }
    docsHeaders(res);
    res.sendFile(path.join(SWAGGER_UI_DIR, req.params.asset), { maxAge: '1h' });
  });
  return router;
}
