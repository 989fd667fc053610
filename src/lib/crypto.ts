import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * api_key at rest: AES-256-GCM with a fresh 96-bit IV per write. The sealed form is
 * `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts), where keyId names the key that sealed
 * it (so keys can be rotated) and the model's public id is bound in as additional data, so a
 * ciphertext copied onto another row does not open there.
 */

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends Error {
  constructor(reason: string) {
    // The reason never contains key material or plaintext.
    super(`api_key ciphertext could not be opened: ${reason}`);
    this.name = 'DecryptionError';
  }
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export class SecretBox {
  private readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
    this.keyId = keyIdOf(key);
  }

  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.keyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  open(sealed: string, boundTo: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new DecryptionError('unknown format');
    const [, keyId, ivText, tagText, ciphertextText] = parts as [string, string, string, string, string];
    if (keyId !== this.keyId) throw new DecryptionError(`sealed with another key (${keyId})`);
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptionError('malformed');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(boundTo, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError('authentication failed (tampered, or wrong key)');
    }
  }

  /** Constant-time comparison of a candidate plaintext with a sealed value. */
  matches(sealed: string, boundTo: string, candidate: string): boolean {
    const stored = Buffer.from(this.open(sealed, boundTo), 'utf8');
    const given = Buffer.from(candidate, 'utf8');
    return stored.length === given.length && timingSafeEqual(stored, given);
  }
}
