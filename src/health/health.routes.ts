import { Router } from 'express';

/**
 * Liveness and readiness, for load balancers and orchestrators: no auth, no internals. The
 * readiness verdict is a plain function (as in GraphQL Yoga's use-readiness-check), so any
 * server can answer it; `healthRoutes` mounts both on Express.
 */

/** How long /readyz waits for the database before calling it unreachable. */
export const READINESS_TIMEOUT_MS = 2000;

export interface ReadinessProbe {
  /** Resolves when the database answers. */
  ping(): Promise<unknown>;
  /** True once shutdown began: load balancers must stop sending new requests. */
  draining(): boolean;
}

export interface HealthAnswer {
  status: 200 | 503;
  body: { status: 'ok' | 'draining' | 'unavailable' };
}

export const liveness = (): HealthAnswer => ({ status: 200, body: { status: 'ok' } });

export async function readiness(probe: ReadinessProbe, timeoutMs = READINESS_TIMEOUT_MS): Promise<HealthAnswer> {
  if (probe.draining()) return { status: 503, body: { status: 'draining' } };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe.ping(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('readiness check timed out')), timeoutMs);
      }),
    ]);
    return { status: 200, body: { status: 'ok' } };
  } catch {
    return { status: 503, body: { status: 'unavailable' } };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(probe: ReadinessProbe): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    const answer = liveness();
    res.status(answer.status).json(answer.body);
  });
  router.get('/readyz', async (_req, res) => {
    const answer = await readiness(probe);
    res.status(answer.status).json(answer.body);
  });
  return router;
}
