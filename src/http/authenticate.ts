import type http from 'node:http';
import type { Authenticator } from '../lib/auth';

type Next = (err?: unknown) => void;

/**
 * The edge's authentication step: the request's credentials are verified once, and the verdict
 * (a caller, or the refusal to give if one is needed) rides on `res.locals.auth` for the rate
 * limiter, the REST routes and the GraphQL context. Connect-style on plain node:http objects.
 */
export function authenticateStep(authenticator: Authenticator) {
  return async (req: http.IncomingMessage, res: http.ServerResponse, next: Next): Promise<void> => {
    try {
      const locals = ((res as { locals?: Record<string, unknown> }).locals ??= {});
      locals.auth = await authenticator.authenticate(req.headers.authorization, req.url);
      next();
    } catch (err) {
      next(err);
    }
  };
}
