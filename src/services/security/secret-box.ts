import { createCipheriv, createDecipheriv, createHmac, randomBytes, hkdfSync } from 'node:crypto';
import { InternalError } from '../../errors';
import type { SealedSecret } from '../../domain/sealed-secret';

export type { SealedSecret } from '../../domain/sealed-secret';

export interface EncryptionKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/**
 * Encrypts secrets at rest with AES-256-GCM. New secrets are sealed with the current key;
 * secrets sealed with an older key still open while that key is listed, so keys can rotate.
 */
export class SecretBox {
  private readonly byId: Map<string, Buffer>;

  constructor(
    private readonly current: EncryptionKey,
    previous: EncryptionKey[] = [],
  ) {
    this.byId = new Map([current, ...previous].map((k) => [k.id, k.key]));
    for (const [id, key] of this.byId) {
      if (key.length !== 32) throw new InternalError(`encryption key ${id} must be 32 bytes, got ${key.length}`);
    }
  }

  /** The id new secrets are sealed with. */
  get currentKeyId(): string {
    return this.current.id;
  }

  /** Whether secrets sealed with this key id open here. */
  hasKey(id: string): boolean {
    return this.byId.has(id);
  }

  /** A key for one purpose (e.g. signing ack links), derived from the current key: never the key itself. */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.current.key, Buffer.alloc(0), `alertagent:${purpose}`, 32));
  }

  /**
   * Each configured key's id with a fingerprint (an HMAC of a fixed text under the key): two
   * installations can tell whether they hold the same key without either showing it.
   */
  fingerprints(): Array<{ id: string; fingerprint: string }> {
    return [...this.byId].map(([id, key]) => ({ id, fingerprint: keyFingerprint(key) }));
  }

  seal(plaintext: string, context: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // Binding the context (e.g. "channel:<id>:webhookUrl") stops a sealed value being moved to another record.
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { kid: this.current.id, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  }

  open(sealed: SealedSecret, context: string): string {
    const key = this.byId.get(sealed.kid);
    if (!key) throw new InternalError(`secret was sealed with key "${sealed.kid}", which is not configured`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new InternalError(`secret sealed with key "${sealed.kid}" failed authentication (wrong key or tampered data)`);
    }
  }
}

function keyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('alertagent:key-fingerprint').digest('hex').slice(0, 16);
}
