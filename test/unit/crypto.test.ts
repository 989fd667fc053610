/**
 * SecretBox (src/lib/crypto.ts): the api_key at rest. AES-256-GCM, a fresh IV per seal, bound to the
 * model's public id; anything wrong with a sealed value is a DecryptionError that never carries the
 * plaintext or the key. As a keyring (key rotation) it seals with the first key and opens with
 * whichever configured key the sealed value names.
 */
import { randomBytes } from 'node:crypto';
import { DecryptionError, keyIdOf, SecretBox, sealedKeyId } from '../../src/lib/crypto';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 9);
const THIRD_KEY = Buffer.alloc(32, 11);
const ALL_KEYS = [KEY, OTHER_KEY, THIRD_KEY];
const PLAINTEXT = 'sk-unit-crypto-PLAINTEXT-3f9a1c';
const MODEL = 'google/gemini-2.5-flash';

/** Every refusal must be a DecryptionError whose message carries neither the plaintext nor the key. */
function expectDecryptionError(fn: () => unknown): DecryptionError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DecryptionError);
  const err = caught as DecryptionError;
  expect(err.name).toBe('DecryptionError');
  expect(err.message).not.toContain(PLAINTEXT);
  for (const key of ALL_KEYS) {
    for (const encoding of ['base64', 'base64url', 'hex'] as const) {
      expect(err.message).not.toContain(key.toString(encoding));
      expect(String(err.stack)).not.toContain(key.toString(encoding));
    }
  }
  expect(String(err.stack)).not.toContain(PLAINTEXT);
  return err;
}

/** Flips one bit of byte `index` of a base64url part. */
function flipByte(part: string, index: number): string {
  const bytes = Buffer.from(part, 'base64url');
  bytes[index] = bytes[index]! ^ 0x01;
  return bytes.toString('base64url');
}

describe('SecretBox', () => {
  const box = new SecretBox(KEY);

  it('round-trips a plaintext bound to a model id', () => {
    const sealed = box.seal(PLAINTEXT, MODEL);
    expect(box.open(sealed, MODEL)).toBe(PLAINTEXT);
  });

  it('round-trips unicode, long and one-character keys', () => {
    for (const value of ['k', 'ключ-🔑-鍵', 'x'.repeat(4096)]) {
      expect(box.open(box.seal(value, MODEL), MODEL)).toBe(value);
    }
  });

  it('never contains the plaintext (in any encoding) in the sealed form', () => {
    const sealed = box.seal(PLAINTEXT, MODEL);
    expect(sealed).not.toContain(PLAINTEXT);
    expect(sealed).not.toContain(Buffer.from(PLAINTEXT).toString('base64url'));
    expect(sealed).not.toContain(Buffer.from(PLAINTEXT).toString('base64'));
    expect(sealed).not.toContain(Buffer.from(PLAINTEXT).toString('hex'));
  });

  it('uses a fresh IV for every seal: the same plaintext seals differently each time', () => {
    const sealed = Array.from({ length: 50 }, () => box.seal(PLAINTEXT, MODEL));
    expect(new Set(sealed).size).toBe(50);
    const ivs = sealed.map((s) => s.split('.')[2]);
    expect(new Set(ivs).size).toBe(50);
    for (const s of sealed) expect(box.open(s, MODEL)).toBe(PLAINTEXT);
  });

  it('has the documented shape v1.<keyId>.<iv>.<tag>.<ciphertext> with a 12-byte IV and a 16-byte tag', () => {
    const parts = box.seal(PLAINTEXT, MODEL).split('.');
    expect(parts).toHaveLength(5);
    expect(parts[0]).toBe('v1');
    expect(Buffer.from(parts[2]!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(parts[3]!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(parts[4]!, 'base64url')).toHaveLength(Buffer.byteLength(PLAINTEXT));
  });

  describe('tampering with any part is a DecryptionError', () => {
    const sealed = box.seal(PLAINTEXT, MODEL);
    const parts = sealed.split('.');

    it('a flipped bit in the IV', () => {
      for (let i = 0; i < 12; i++) {
        const p = [...parts];
        p[2] = flipByte(p[2]!, i);
        expectDecryptionError(() => box.open(p.join('.'), MODEL));
      }
    });

    it('a flipped bit in the tag', () => {
      for (let i = 0; i < 16; i++) {
        const p = [...parts];
        p[3] = flipByte(p[3]!, i);
        expectDecryptionError(() => box.open(p.join('.'), MODEL));
      }
    });

    it('a flipped bit in the ciphertext', () => {
      for (let i = 0; i < Buffer.byteLength(PLAINTEXT); i++) {
        const p = [...parts];
        p[4] = flipByte(p[4]!, i);
        expectDecryptionError(() => box.open(p.join('.'), MODEL));
      }
    });

    it('a truncated or extended ciphertext', () => {
      const p = [...parts];
      p[4] = Buffer.from(p[4]!, 'base64url').subarray(0, 5).toString('base64url');
      expectDecryptionError(() => box.open(p.join('.'), MODEL));
      p[4] = Buffer.concat([Buffer.from(parts[4]!, 'base64url'), Buffer.from([0])]).toString('base64url');
      expectDecryptionError(() => box.open(p.join('.'), MODEL));
    });

    it('a changed version or key id', () => {
      expectDecryptionError(() => box.open(['v2', ...parts.slice(1)].join('.'), MODEL));
      expectDecryptionError(() => box.open([parts[0], '00000000', ...parts.slice(2)].join('.'), MODEL));
    });

    it('a malformed sealed value', () => {
      for (const bad of ['', PLAINTEXT, 'v1', parts.slice(0, 4).join('.'), `${sealed}.extra`, 'v1.a.b.c.d']) {
        expectDecryptionError(() => box.open(bad, MODEL));
      }
    });

    it('an IV or tag of the wrong length', () => {
      const shortIv = [...parts];
      shortIv[2] = randomBytes(8).toString('base64url');
      expectDecryptionError(() => box.open(shortIv.join('.'), MODEL));
      const shortTag = [...parts];
      shortTag[3] = randomBytes(8).toString('base64url');
      expectDecryptionError(() => box.open(shortTag.join('.'), MODEL));
    });

    it('a ciphertext spliced from another seal of the same key and model', () => {
      const other = box.seal('sk-some-other-key-entirely-000000', MODEL).split('.');
      expectDecryptionError(() => box.open([parts[0], parts[1], parts[2], parts[3], other[4]].join('.'), MODEL));
      expectDecryptionError(() => box.open([parts[0], parts[1], other[2], parts[3], parts[4]].join('.'), MODEL));
    });
  });

  it('refuses a value sealed with another key', () => {
    const sealed = new SecretBox(OTHER_KEY).seal(PLAINTEXT, MODEL);
    expectDecryptionError(() => box.open(sealed, MODEL));
  });

  it('refuses a value sealed with another key even when the key id part is rewritten to ours', () => {
    const ours = box.seal('x', MODEL).split('.');
    const theirs = new SecretBox(OTHER_KEY).seal(PLAINTEXT, MODEL).split('.');
    theirs[1] = ours[1]!;
    expectDecryptionError(() => box.open(theirs.join('.'), MODEL));
  });

  it('refuses a value bound to another model id', () => {
    const sealed = box.seal(PLAINTEXT, MODEL);
    expectDecryptionError(() => box.open(sealed, 'google/gemini-2.5-pro'));
    expectDecryptionError(() => box.open(sealed, ''));
    expectDecryptionError(() => box.open(sealed, `${MODEL} `));
  });

  it('matches() compares a candidate with the stored plaintext', () => {
    const sealed = box.seal(PLAINTEXT, MODEL);
    expect(box.matches(sealed, MODEL, PLAINTEXT)).toBe(true);
    expect(box.matches(sealed, MODEL, `${PLAINTEXT}x`)).toBe(false);
    expect(box.matches(sealed, MODEL, PLAINTEXT.slice(0, -1))).toBe(false);
    expect(box.matches(sealed, MODEL, '')).toBe(false);
  });

  it('matches() refuses a ciphertext that does not open rather than answering false', () => {
    const sealed = box.seal(PLAINTEXT, MODEL);
    expectDecryptionError(() => box.matches(sealed, 'another-model', PLAINTEXT));
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow();
    expect(() => new SecretBox(Buffer.alloc(33))).toThrow();
  });
});

describe('SecretBox as a keyring', () => {
  const ring = new SecretBox([OTHER_KEY, KEY]);

  it('seals with the first key: the sealed value names it', () => {
    expect(ring.currentKeyId).toBe(keyIdOf(OTHER_KEY));
    expect(ring.keyIds).toEqual([keyIdOf(OTHER_KEY), keyIdOf(KEY)]);
    const sealed = ring.seal(PLAINTEXT, MODEL);
    expect(sealed.split('.')[1]).toBe(keyIdOf(OTHER_KEY));
    expect(sealedKeyId(sealed)).toBe(keyIdOf(OTHER_KEY));
    expect(ring.isCurrent(sealed)).toBe(true);
    expect(new SecretBox(OTHER_KEY).open(sealed, MODEL)).toBe(PLAINTEXT);
    expectDecryptionError(() => new SecretBox(KEY).open(sealed, MODEL));
  });

  it('opens by the key id recorded in the value: old values with the older key, new ones with the current', () => {
    const old = new SecretBox(KEY).seal(PLAINTEXT, MODEL);
    expect(ring.isCurrent(old)).toBe(false);
    expect(ring.open(old, MODEL)).toBe(PLAINTEXT);
    expect(ring.matches(old, MODEL, PLAINTEXT)).toBe(true);
    expect(ring.open(ring.seal('sk-new', MODEL), MODEL)).toBe('sk-new');
    // The order of the older keys does not matter, only which key the value names.
    expect(new SecretBox([THIRD_KEY, OTHER_KEY, KEY]).open(old, MODEL)).toBe(PLAINTEXT);
  });

  it('a single key is a one-key ring: `new SecretBox(key)` and `new SecretBox([key])` agree', () => {
    const sealed = new SecretBox(KEY).seal(PLAINTEXT, MODEL);
    expect(new SecretBox([KEY]).open(sealed, MODEL)).toBe(PLAINTEXT);
    expect(new SecretBox([KEY]).currentKeyId).toBe(new SecretBox(KEY).currentKeyId);
  });

  it('reseal() moves a value to the current key with the same plaintext and binding', () => {
    const old = new SecretBox(KEY).seal(PLAINTEXT, MODEL);
    const moved = ring.reseal(old, MODEL);
    expect(sealedKeyId(moved)).toBe(ring.currentKeyId);
    expect(new SecretBox(OTHER_KEY).open(moved, MODEL)).toBe(PLAINTEXT);
    expectDecryptionError(() => ring.open(moved, 'another-model'));
    expectDecryptionError(() => ring.reseal(old, 'another-model'));
  });

  it('an unknown key id is a DecryptionError naming that key id and nothing secret', () => {
    const foreign = new SecretBox(THIRD_KEY).seal(PLAINTEXT, MODEL);
    const err = expectDecryptionError(() => ring.open(foreign, MODEL));
    expect(err.message).toBe(`api_key ciphertext could not be opened: sealed with key ${keyIdOf(THIRD_KEY)}, which is not configured`);
    expect(err.message).not.toContain(foreign.split('.')[4]!);
    expectDecryptionError(() => ring.reseal(foreign, MODEL));
    expectDecryptionError(() => ring.matches(foreign, MODEL, PLAINTEXT));
  });

  it('a failed authentication names the key id it tried, and nothing secret', () => {
    const parts = ring.seal(PLAINTEXT, MODEL).split('.');
    parts[4] = flipByte(parts[4]!, 0);
    const err = expectDecryptionError(() => ring.open(parts.join('.'), MODEL));
    expect(err.message).toContain(`authentication failed with key ${ring.currentKeyId}`);
  });

  it('a key id that is not one we could have written is not quoted back', () => {
    const parts = ring.seal(PLAINTEXT, MODEL).split('.');
    for (const bad of [PLAINTEXT, 'ABCDEF12', '1234567', '123456789', 'zzzzzzzz', '']) {
      parts[1] = bad;
      const err = expectDecryptionError(() => ring.open(parts.join('.'), MODEL));
      expect(err.message).toBe('api_key ciphertext could not be opened: malformed key id');
      expect(sealedKeyId(parts.join('.'))).toBeNull();
    }
    expect(sealedKeyId('not a sealed value')).toBeNull();
    expect(ring.isCurrent('not a sealed value')).toBe(false);
  });

  it('refuses an empty ring, a key that is not 32 bytes, and the same key twice, without printing a key', () => {
    expect(() => new SecretBox([])).toThrow();
    expect(() => new SecretBox([KEY, Buffer.alloc(31)])).toThrow(/key 2/);
    let message = '';
    try {
      new SecretBox([KEY, OTHER_KEY, KEY]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(`key 3 has the same key id (${keyIdOf(KEY)}) as an earlier key`);
    for (const encoding of ['base64', 'base64url', 'hex'] as const) expect(message).not.toContain(KEY.toString(encoding));
  });
});
