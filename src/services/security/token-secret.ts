import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every API token starts with this, so secret scanners and people can recognise one. */
export const API_TOKEN_PREFIX = 'aat_';

/** A new random token: 32 bytes of entropy, base64url. */
export function generateApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Tokens are random and long, so one SHA-256 pass is enough; no salt or slow hash is needed. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function displayPrefix(token: string): string {
  return token.slice(0, API_TOKEN_PREFIX.length + 6);
}

export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(hashApiToken(a), 'hex');
  const right = Buffer.from(hashApiToken(b), 'hex');
  return timingSafeEqual(left, right);
}
