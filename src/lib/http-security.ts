import type express from 'express';
import helmet from 'helmet';

/**
 * What Apollo's embedded Sandbox landing page loads (read off the page it serves): the Sandbox
 * script, the iframe Sandbox runs in, favicon and manifest, a Google font, and its own nonce'd
 * inline script and styles.
 */
export const LANDING_PAGE_SOURCES = {
  script: ['https://embeddable-sandbox.cdn.apollographql.com'],
  style: ['https://fonts.googleapis.com'],
  font: ['https://fonts.gstatic.com'],
  img: ['https://apollo-server-landing-page.cdn.apollographql.com'],
  manifest: ['https://apollo-server-landing-page.cdn.apollographql.com'],
  frame: ['https://sandbox.embed.apollographql.com'],
};

/** helmet's defaults on every response: API answers are JSON and need nothing more. */
export function securityHeaders(): express.RequestHandler {
  return helmet();
}

function landingPagePolicy(nonce: string): string {
  const src = (...sources: string[]) => sources.join(' ');
  const directives: Record<string, string> = {
    'default-src': "'self'",
    'base-uri': "'self'",
    'object-src': "'none'",
    'form-action': "'self'",
    'frame-ancestors': "'self'",
    'script-src': src("'self'", `'nonce-${nonce}'`, ...LANDING_PAGE_SOURCES.script),
    'script-src-attr': "'none'",
    'style-src': src("'self'", `'nonce-${nonce}'`, ...LANDING_PAGE_SOURCES.style),
    'font-src': src("'self'", ...LANDING_PAGE_SOURCES.font),
    'img-src': src("'self'", 'data:', ...LANDING_PAGE_SOURCES.img),
    'manifest-src': src("'self'", ...LANDING_PAGE_SOURCES.manifest),
    'frame-src': src(...LANDING_PAGE_SOURCES.frame),
    'connect-src': "'self'",
  };
  return Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}

/**
 * The CSP for a landing page, or undefined for anything else. Apollo renders the page with a
 * fresh nonce per response, so the policy is made from the HTML being sent, with the nonce read
 * off it; any other response (and a page without a nonce) keeps helmet's strict default.
 */
export function landingPageCspFor(contentType: string, body: string): string | undefined {
  if (!contentType.startsWith('text/html')) return undefined;
  const nonce = /<script nonce="([0-9A-Za-z+/=_-]{16,})"/.exec(body)?.[1];
  return nonce ? landingPagePolicy(nonce) : undefined;
}

function originMatcher(patterns: string[]): (origin: string) => boolean {
  if (patterns.includes('*')) return () => true;
  const exact = new Set(patterns.filter((p) => !p.endsWith(':*')));
  const anyPort = patterns.filter((p) => p.endsWith(':*')).map((p) => p.slice(0, -2));
  return (origin) => {
    const normalized = origin.toLowerCase();
    if (exact.has(normalized)) return true;
    return anyPort.some(
      (base) => normalized === base || (normalized.startsWith(`${base}:`) && /^\d{1,5}$/.test(normalized.slice(base.length + 1))),
    );
  };
}

type OriginOption = false | ((origin: string | undefined, callback: (err: Error | null, allow?: boolean) => void) => void);

/**
 * The `cors` package's `origin` option for the configured allow-list. Callers authenticate with
 * a bearer token, never a cookie, so credentials are never allowed and even `*` exposes no
 * signed-in session. Requests without an Origin (not from a browser page) are not CORS at all.
 */
export function corsOrigin(patterns: string[]): OriginOption {
  if (patterns.length === 0) return false;
  const allowed = originMatcher(patterns);
  return (origin, callback) => callback(null, origin === undefined || allowed(origin));
}
