import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpPeer, type PeerReply, type PeerRequest } from './http-peer';

/**
 * A receiver of signed webhooks as a careful integrator would write one: it recomputes
 * HMAC-SHA256(secret, "<timestamp>.<body>"), refuses stale timestamps (5 minutes), and counts
 * each Idempotency-Key once, so duplicates show up as duplicates.
 */
export class WebhookPeer extends HttpPeer {
  readonly accepted: Array<{ headers: Record<string, unknown>; payload: any }> = [];
  readonly seenKeys = new Map<string, number>();
  /** Answer this status instead of accepting, while set. */
  failWith: number | null = null;

  constructor(private readonly secret?: string) {
    super((request) => this.answer(request));
  }

  private answer(request: PeerRequest): PeerReply {
    if (this.failWith !== null) return { status: this.failWith, body: { error: 'temporarily unavailable' } };
    if (this.secret) {
      const timestamp = String(request.headers['x-alertagent-timestamp'] ?? '');
      const signature = String(request.headers['x-alertagent-signature'] ?? '');
      if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return { status: 401, body: { error: 'stale or missing timestamp' } };
      const expected = `sha256=${createHmac('sha256', this.secret).update(`${timestamp}.${request.body}`).digest('hex')}`;
      if (signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
        return { status: 401, body: { error: 'bad signature' } };
      }
    }
    const key = String(request.headers['idempotency-key'] ?? '');
    this.seenKeys.set(key, (this.seenKeys.get(key) ?? 0) + 1);
    if (this.seenKeys.get(key)! > 1) return { status: 200, body: { duplicate: true } };
    this.accepted.push({ headers: request.headers, payload: JSON.parse(request.body) });
    return { status: 200, body: { ok: true } };
  }
}
