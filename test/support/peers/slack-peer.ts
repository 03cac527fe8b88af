import { HttpPeer, type PeerReply, type PeerRequest } from './http-peer';

const bad = (error: string): PeerReply => ({ status: 400, body: error });

/**
 * A Slack incoming webhook: plain-text error bodies (invalid_payload, no_text, invalid_blocks),
 * at most 50 blocks, header text 150 and section text 3,000 characters, and about one message a
 * second with a small burst, after which HTTP 429 with Retry-After in seconds.
 */
export class SlackPeer extends HttpPeer {
  readonly accepted: any[] = [];
  private tokens = 3;
  private lastRefill = Date.now();
  /** Force the next N messages to be rate limited, with this Retry-After. */
  throttleNext = 0;
  retryAfterSeconds = 1;

  constructor(readonly path = '/services/T000/B000/XXXX') {
    super((request) => this.answer(request));
  }

  get webhookUrl(): string {
    return `${this.baseUrl}${this.path}`;
  }

  private answer(request: PeerRequest): PeerReply {
    if (request.method !== 'POST' || request.url.pathname !== this.path) return { status: 404, body: 'no_service' };
    const now = Date.now();
    this.tokens = Math.min(3, this.tokens + (now - this.lastRefill) / 1000);
    this.lastRefill = now;
    if (this.throttleNext > 0 || this.tokens < 1) {
      if (this.throttleNext > 0) this.throttleNext -= 1;
      return { status: 429, body: 'rate_limited', headers: { 'retry-after': String(this.retryAfterSeconds) } };
    }
    this.tokens -= 1;
    let payload: any;
    try {
      payload = JSON.parse(request.body);
    } catch {
      return bad('invalid_payload');
    }
    if (!payload.text && !payload.blocks) return bad('no_text');
    if (payload.blocks) {
      if (!Array.isArray(payload.blocks) || payload.blocks.length > 50) return bad('invalid_blocks');
      for (const block of payload.blocks) {
        if (block.type === 'header' && (block.text?.type !== 'plain_text' || block.text.text.length > 150)) return bad('invalid_blocks');
        if (block.type === 'section' && (typeof block.text?.text !== 'string' || block.text.text.length > 3_000))
          return bad('invalid_blocks');
      }
    }
    this.accepted.push(payload);
    return { status: 200, body: 'ok' };
  }
}
