import { createHmac } from 'node:crypto';
import { HttpPeer, PerMinuteLimit, type PeerReply, type PeerRequest } from './http-peer';

export interface FeishuBot {
  token: string;
  secret?: string;
  keywords?: string[];
}

const fail = (code: number, msg: string, status = 200): PeerReply => ({ status, body: { code, msg, data: {} } });

/**
 * A Feishu/Lark custom bot as documented: POST /open-apis/bot/v2/hook/<token> with JSON; with a
 * secret, `timestamp` (seconds, within an hour) and `sign` = base64(HMAC-SHA256(key =
 * "timestamp\nsecret", message = "")) in the body (19021 otherwise); keyword security (19024);
 * bodies over 20 KB refused (9499); 5 a second and 100 a minute per bot (11232). Refusals come as
 * HTTP 200 with a non-zero code, as Feishu's bot endpoint does.
 */
export class FeishuPeer extends HttpPeer {
  readonly accepted: Array<{ token: string; payload: any }> = [];
  private readonly bots = new Map<string, FeishuBot>();
  private readonly perMinute = new Map<string, PerMinuteLimit>();
  private readonly lastSecond = new Map<string, number[]>();

  constructor(bots: FeishuBot[]) {
    super((request) => this.answer(request));
    for (const bot of bots) this.bots.set(bot.token, bot);
  }

  webhookUrl(token: string): string {
    return `${this.baseUrl}/open-apis/bot/v2/hook/${token}`;
  }

  private answer(request: PeerRequest): PeerReply {
    const match = /^\/open-apis\/bot\/v2\/hook\/([^/]+)$/.exec(request.url.pathname);
    if (request.method !== 'POST' || !match) return { status: 404, body: '404 page not found' };
    const bot = this.bots.get(match[1]);
    if (!bot) return fail(19001, 'param invalid: incoming webhook access token invalid');
    if (Buffer.byteLength(request.body) > 20 * 1024) return fail(9499, 'Bad Request: request body too large');
    let payload: any;
    try {
      payload = JSON.parse(request.body);
    } catch {
      return fail(9499, 'Bad Request');
    }
    if (bot.secret) {
      const timestamp = Number(payload.timestamp);
      const expected = createHmac('sha256', `${payload.timestamp}\n${bot.secret}`).update('').digest('base64');
      if (!Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 3600 || payload.sign !== expected) {
        return fail(19021, 'sign match fail or timestamp is not within one hour from current time');
      }
    }
    if (payload.msg_type === 'text' && typeof payload.content?.text !== 'string') return fail(9499, 'Bad Request: content.text missing');
    if (payload.msg_type === 'interactive' && (!payload.card || !Array.isArray(payload.card.elements)))
      return fail(9499, 'Bad Request: card invalid');
    if (!['text', 'post', 'image', 'share_chat', 'interactive'].includes(payload.msg_type))
      return fail(9499, 'Bad Request: msg_type invalid');
    if (bot.keywords && !bot.keywords.some((k) => JSON.stringify(payload.content ?? payload.card).includes(k)))
      return fail(19024, 'Key Words Not Found');
    const now = Date.now();
    const second = (this.lastSecond.get(bot.token) ?? []).filter((t) => now - t < 1_000);
    let minute = this.perMinute.get(bot.token);
    if (!minute) this.perMinute.set(bot.token, (minute = new PerMinuteLimit(100)));
    if (second.length >= 5 || !minute.allow(now)) return fail(11232, 'frequency limited psm[lark.oapi.app_platform_runtime]appID[1]');
    this.lastSecond.set(bot.token, [...second, now]);
    this.accepted.push({ token: bot.token, payload });
    return { status: 200, body: { code: 0, msg: 'success', data: {} } };
  }
}
