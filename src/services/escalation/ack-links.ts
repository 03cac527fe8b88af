import { ACK_PATH } from '../../shared/paths';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What an ack link acknowledges: an alert's firing episode, or an incident. */
export type AckTarget =
  | { kind: 'alert'; fingerprint: string; startsAt: string }
  | { kind: 'incident'; incidentId: string }
  | { kind: 'remediation'; executionId: string };

export interface AckClaim {
  target: AckTarget;
  /** Who the link was sent to, recorded as the acknowledger (e.g. channel:oncall). */
  sentTo: string;
  expiresAt: Date;
  nonce: string;
}

export type AckLinkCheck = { ok: true; claim: AckClaim } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/**
 * Signed, expiring acknowledgement links: `<payload>.<signature>`, the payload base64url JSON, the
 * signature HMAC-SHA256 over it with a key derived for this purpose alone. Each carries a nonce,
 * so the store can make a link work once.
 */
export class AckLinks {
  constructor(
    private readonly key: Buffer,
    private readonly baseUrl: () => string,
  ) {}

  token(target: AckTarget, sentTo: string, ttlSeconds: number, now = new Date()): string {
    const payload = b64(
      JSON.stringify({ t: target, s: sentTo, e: Math.floor(now.getTime() / 1000) + ttlSeconds, n: randomBytes(12).toString('base64url') }),
    );
    return `${payload}.${this.sign(payload)}`;
  }

  url(target: AckTarget, sentTo: string, ttlSeconds: number, now = new Date()): string {
    return `${this.baseUrl()}${ACK_PATH}/${this.token(target, sentTo, ttlSeconds, now)}`;
  }

  check(token: string, now = new Date()): AckLinkCheck {
    const parts = token.split('.');
    if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1]) || token.length > 2_000)
      return { ok: false, reason: 'malformed' };
    const expected = Buffer.from(this.sign(parts[0]));
    const given = Buffer.from(parts[1]);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
    let body: { t?: AckTarget; s?: string; e?: number; n?: string };
    try {
      body = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (!body.t || typeof body.e !== 'number' || typeof body.n !== 'string' || typeof body.s !== 'string')
      return { ok: false, reason: 'malformed' };
    const expiresAt = new Date(body.e * 1000);
    if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
    return { ok: true, claim: { target: body.t, sentTo: body.s, expiresAt, nonce: body.n } };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
