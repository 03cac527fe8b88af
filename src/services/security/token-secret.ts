import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every API token starts with this, so secret scanners and people can recognise one. */
export const API_TOKEN_PREFIX = 'aat_';

/** Cluster credentials: what Alertmanager's webhook sends, and what a sidecar sends. */
export const WEBHOOK_TOKEN_PREFIX = 'aaw_';
export const SIDECAR_TOKEN_PREFIX = 'aas_';

/** A new random token: 32 bytes of entropy, base64url, after a prefix that says what it is for. */
export function generateApiToken(prefix = API_TOKEN_PREFIX): string {
  return prefix + randomBytes(32).toString('base64url');
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

/** The token of an `Authorization: Bearer <token>` header; undefined for anything else. */
export function bearerToken(authorization: string | undefined | null): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/** Compares two stored hashes in constant time (a token's hash against the one on record). */
export function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
