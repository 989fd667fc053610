import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * api_key at rest: AES-256-GCM with a fresh 96-bit IV per write. The sealed form is
 * `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts), where keyId names the key that sealed
 * it and the model's public id is bound in as additional data, so a ciphertext copied onto
 * another row does not open there.
 *
 * Keys rotate through a keyring: the first key seals, every configured key opens what it sealed
 * (found by the keyId the value records), so old rows keep working until `npm run rotate-keys`
 * has re-sealed them and the old key can be dropped.
 */

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** What keyIdOf produces; anything else in that position is not a key id we could have written. */
const KEY_ID_PATTERN = /^[0-9a-f]{8}$/;

export class DecryptionError extends Error {
  constructor(reason: string) {
    // The reason never contains key material or plaintext: at most a key id, which is a
    // truncated hash of the key and is written in the clear in every sealed value anyway.
    super(`api_key ciphertext could not be opened: ${reason}`);
    this.name = 'DecryptionError';
  }
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** The key id a sealed value records, or null when it is not a well-formed v1 value. */
export function sealedKeyId(sealed: string): string | null {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) return null;
  const keyId = parts[1] as string;
  return KEY_ID_PATTERN.test(keyId) ? keyId : null;
}

export class SecretBox {
  /** The key id new values are sealed with. */
  readonly currentKeyId: string;
  private readonly currentKey: Buffer;
  private readonly keys = new Map<string, Buffer>();

  /** `keys[0]` seals; all of them open. A single key is a one-key ring. */
  constructor(keys: Buffer | readonly Buffer[]) {
    const ring = Buffer.isBuffer(keys) ? [keys] : keys;
    if (ring.length === 0) throw new Error('SecretBox needs at least one key');
    for (const [index, key] of ring.entries()) {
      if (key.length !== KEY_BYTES) throw new Error(`AES-256-GCM needs a 32-byte key (key ${index + 1})`);
      const id = keyIdOf(key);
      // Two different keys with one id would make "open by key id" ambiguous; the same key
      // twice is a configuration slip. Either way: refuse rather than guess.
      if (this.keys.has(id)) throw new Error(`key ${index + 1} has the same key id (${id}) as an earlier key`);
      this.keys.set(id, key);
    }
    this.currentKey = ring[0] as Buffer;
    this.currentKeyId = keyIdOf(this.currentKey);
  }

  /** Ids of every key that can open, the current one first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** Whether a sealed value names the current key (it is not opened: this says nothing of its integrity). */
  isCurrent(sealed: string): boolean {
    return sealedKeyId(sealed) === this.currentKeyId;
  }

  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.currentKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.currentKeyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  open(sealed: string, boundTo: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new DecryptionError('unknown format');
    const [, keyId, ivText, tagText, ciphertextText] = parts as [string, string, string, string, string];
    // Checked before it is quoted in a message, so a garbled value cannot smuggle text into logs.
    if (!KEY_ID_PATTERN.test(keyId)) throw new DecryptionError('malformed key id');
    const key = this.keys.get(keyId);
    if (!key) throw new DecryptionError(`sealed with key ${keyId}, which is not configured`);
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptionError(`malformed (key ${keyId})`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(boundTo, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError(`authentication failed with key ${keyId} (tampered, bound to another model, or another key)`);
    }
  }

  /** Opens with whichever configured key sealed it and seals again with the current key. */
  reseal(sealed: string, boundTo: string): string {
    return this.seal(this.open(sealed, boundTo), boundTo);
  }

  /** Constant-time comparison of a candidate plaintext with a sealed value. */
  matches(sealed: string, boundTo: string, candidate: string): boolean {
    const stored = Buffer.from(this.open(sealed, boundTo), 'utf8');
    const given = Buffer.from(candidate, 'utf8');
    return stored.length === given.length && timingSafeEqual(stored, given);
  }
}
