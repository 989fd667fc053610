/**
 * withVerifiedTokenCache (src/lib/auth-cache.ts): an accepted token is taken on trust for a short
 * while, but never past its own expiry (plus the clock tolerance the verifier allows), refusals
 * are never cached, and a token in the query string is always judged afresh.
 */
import jwt from 'jsonwebtoken';
import type { Authenticator, AuthResult } from '../../src/lib/auth';
import { VERIFIED_TOKEN_TTL_MS, withVerifiedTokenCache } from '../../src/lib/auth-cache';
import { Errors } from '../../src/lib/errors';

const T0 = 1_800_000_000_000;

function tokenExpiringAt(expSec: number, sub = 'alice'): string {
  return `Bearer ${jwt.sign({ sub, exp: expSec }, 'unit-test-secret-unit-test-secret!!', { algorithm: 'HS256' })}`;
}

/** A verifier that accepts everything until told otherwise, counting its calls. */
function fakeVerifier() {
  const state = { calls: 0, accept: true };
  const authenticator: Authenticator = {
    authenticate: async (): Promise<AuthResult> => {
      state.calls++;
      return state.accept ? { caller: { sub: 'alice', isAdmin: false } } : { caller: null, error: Errors.badCredentials() };
    },
  };
  return { state, authenticator };
}

describe('withVerifiedTokenCache', () => {
  it('verifies a repeated token once while it is fresh', async () => {
    const { state, authenticator } = fakeVerifier();
    let now = T0;
    const cached = withVerifiedTokenCache(authenticator, 0, () => now);
    const header = tokenExpiringAt(T0 / 1000 + 3600);
    for (let i = 0; i < 5; i++) expect((await cached.authenticate(header, '/api/models')).caller).toEqual({ sub: 'alice', isAdmin: false });
    expect(state.calls).toBe(1);
    now += VERIFIED_TOKEN_TTL_MS + 1;
    await cached.authenticate(header, '/api/models');
    expect(state.calls).toBe(2);
  });

  it('never trusts a cached token past its exp plus the clock tolerance', async () => {
    const { state, authenticator } = fakeVerifier();
    let now = T0;
    const cached = withVerifiedTokenCache(authenticator, 5, () => now);
    const header = tokenExpiringAt(T0 / 1000 + 10);
    await cached.authenticate(header, '/api/models');
    state.accept = false; // what the real verifier says once the token has expired
    now = T0 + 14_999;
    expect((await cached.authenticate(header, '/api/models')).caller).not.toBeNull();
    now = T0 + 15_000;
    expect((await cached.authenticate(header, '/api/models')).caller).toBeNull();
    expect(state.calls).toBe(2);
  });

  it('does not cache refusals', async () => {
    const { state, authenticator } = fakeVerifier();
    state.accept = false;
    const cached = withVerifiedTokenCache(authenticator, 0, () => T0);
    const header = tokenExpiringAt(T0 / 1000 + 3600);
    await cached.authenticate(header, '/api/models');
    await cached.authenticate(header, '/api/models');
    expect(state.calls).toBe(2);
  });

  it('judges a request with a token in the query string afresh, even for a cached header', async () => {
    const { state, authenticator } = fakeVerifier();
    const cached = withVerifiedTokenCache(authenticator, 0, () => T0);
    const header = tokenExpiringAt(T0 / 1000 + 3600);
    await cached.authenticate(header, '/api/models');
    await cached.authenticate(header, '/api/models?access_token=x');
    expect(state.calls).toBe(2);
  });
});
