import { HttpPeer, PerMinuteLimit, type PeerReply, type PeerRequest } from './http-peer';

const invalid = (...errors: string[]): PeerReply => ({
  status: 400,
  body: { status: 'invalid event', message: 'Event object is invalid', errors },
});

/**
 * PagerDuty's Events API v2 as documented: POST /v2/enqueue; 202 `{ status: "success", dedup_key }`;
 * 400 "invalid event" with the reasons (unknown routing key, event_action, a trigger without
 * summary, source or a valid severity, a summary over 1,024 characters, a dedup_key over 255);
 * 120 events a minute per routing key, past which 429. It keeps each dedup_key's incident state.
 */
export class PagerDutyPeer extends HttpPeer {
  readonly events: any[] = [];
  readonly incidents = new Map<string, 'triggered' | 'acknowledged' | 'resolved'>();
  private readonly limits = new Map<string, PerMinuteLimit>();
  /** Answer this status instead, while set (a PagerDuty outage). */
  failWith: number | null = null;

  constructor(private readonly routingKeys: string[]) {
    super((request) => this.answer(request));
  }

  get enqueueUrl(): string {
    return `${this.baseUrl}/v2/enqueue`;
  }

  private answer(request: PeerRequest): PeerReply {
    if (request.method !== 'POST' || request.url.pathname !== '/v2/enqueue') return { status: 404, body: { status: 'not found' } };
    if (this.failWith !== null) return { status: this.failWith, body: { status: 'error', message: 'service unavailable' } };
    let event: any;
    try {
      event = JSON.parse(request.body);
    } catch {
      return invalid('Could not parse JSON');
    }
    if (!this.routingKeys.includes(event.routing_key)) return invalid('Invalid routing key');
    if (!['trigger', 'acknowledge', 'resolve'].includes(event.event_action)) return invalid('Event action is invalid');
    if (event.dedup_key !== undefined && (typeof event.dedup_key !== 'string' || event.dedup_key.length > 255))
      return invalid('Dedup key is invalid');
    if (event.event_action !== 'trigger' && !event.dedup_key) return invalid('Dedup key is required for acknowledge and resolve');
    if (event.event_action === 'trigger') {
      const p = event.payload ?? {};
      const errors = [
        typeof p.summary !== 'string' || p.summary.length === 0
          ? 'Summary is missing'
          : p.summary.length > 1024
            ? 'Summary is longer than 1024 characters'
            : '',
        typeof p.source !== 'string' || p.source.length === 0 ? 'Source is missing' : '',
        !['critical', 'error', 'warning', 'info'].includes(p.severity) ? 'Severity is invalid' : '',
        p.timestamp !== undefined && Number.isNaN(Date.parse(p.timestamp)) ? 'Timestamp is invalid' : '',
      ].filter(Boolean);
      if (errors.length > 0) return invalid(...errors);
    }
    let limit = this.limits.get(event.routing_key);
    if (!limit) this.limits.set(event.routing_key, (limit = new PerMinuteLimit(120)));
    if (!limit.allow())
      return {
        status: 429,
        body: { status: 'throttle event', message: 'Requests for this service are arriving too quickly. Please retry later.' },
      };
    const key = event.dedup_key ?? `generated-${this.events.length}`;
    this.events.push(event);
    const state = { trigger: 'triggered', acknowledge: 'acknowledged', resolve: 'resolved' }[
      event.event_action as 'trigger'
    ] as 'triggered';
    if (event.event_action === 'trigger' || this.incidents.has(key)) this.incidents.set(key, state);
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: key } };
  }
}
