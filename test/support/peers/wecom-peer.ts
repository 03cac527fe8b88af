import { HttpPeer, PerMinuteLimit, type PeerReply, type PeerRequest } from './http-peer';

const fail = (errcode: number, errmsg: string): PeerReply => ({ status: 200, body: { errcode, errmsg } });

/**
 * A WeCom group-robot endpoint: POST /cgi-bin/webhook/send?key=…; markdown.content at most 4,096
 * UTF-8 bytes and text.content at most 2,048 (errcode 40058), 20 messages a minute (45009).
 */
export class WeComPeer extends HttpPeer {
  readonly accepted: Array<{ key: string; payload: any }> = [];
  private readonly limits = new Map<string, PerMinuteLimit>();

  constructor(private readonly keys: string[]) {
    super((request) => this.answer(request));
  }

  webhookUrl(key: string): string {
    return `${this.baseUrl}/cgi-bin/webhook/send?key=${key}`;
  }

  private answer(request: PeerRequest): PeerReply {
    if (request.method !== 'POST' || request.url.pathname !== '/cgi-bin/webhook/send') return { status: 404, body: 'not found' };
    const key = request.url.searchParams.get('key') ?? '';
    if (!this.keys.includes(key)) return fail(93000, 'invalid webhook url, hint: key is not valid');
    let payload: any;
    try {
      payload = JSON.parse(request.body);
    } catch {
      return fail(40035, 'invalid json');
    }
    if (payload.msgtype === 'markdown') {
      const content = payload.markdown?.content;
      if (typeof content !== 'string' || content === '') return fail(44004, 'empty content');
      if (Buffer.byteLength(content) > 4_096) return fail(40058, 'markdown.content exceed max length 4096');
    } else if (payload.msgtype === 'text') {
      const content = payload.text?.content;
      if (typeof content !== 'string' || content === '') return fail(44004, 'empty content');
      if (Buffer.byteLength(content) > 2_048) return fail(40058, 'text.content exceed max length 2048');
    } else {
      return fail(40008, 'invalid message type');
    }
    let limit = this.limits.get(key);
    if (!limit) this.limits.set(key, (limit = new PerMinuteLimit(20)));
    if (!limit.allow()) return fail(45009, 'api freq out of limit');
    this.accepted.push({ key, payload });
    return { status: 200, body: { errcode: 0, errmsg: 'ok' } };
  }
}
