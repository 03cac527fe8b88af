import { createHmac } from 'node:crypto';
import { HttpPeer, PerMinuteLimit, type PeerReply, type PeerRequest } from './http-peer';

export interface DingTalkRobot {
  accessToken: string;
  secret?: string;
  keywords?: string[];
}

const fail = (errcode: number, errmsg: string): PeerReply => ({ status: 200, body: { errcode, errmsg } });

/**
 * A DingTalk custom-robot endpoint as documented: POST /robot/send?access_token=…; with a secret,
 * `timestamp` (ms, within an hour) and `sign` = urlencode(base64(HMAC-SHA256(secret, ts + "\n" + secret)));
 * keyword security; bodies over 20,000 bytes refused (460101); 20 messages a minute (130101).
 * Every answer is HTTP 200 with an errcode, as DingTalk does.
 */
export class DingTalkPeer extends HttpPeer {
  readonly accepted: Array<{ accessToken: string; payload: any }> = [];
  /** Messages refused for the rate limit (130101), with when. */
  readonly refused: Array<{ accessToken: string; at: number }> = [];
  private readonly robots = new Map<string, DingTalkRobot>();
  private readonly limits = new Map<string, PerMinuteLimit>();

  constructor(robots: DingTalkRobot[]) {
    super((request) => this.answer(request));
    for (const robot of robots) this.robots.set(robot.accessToken, robot);
  }

  webhookUrl(accessToken: string): string {
    return `${this.baseUrl}/robot/send?access_token=${accessToken}`;
  }

  private answer(request: PeerRequest): PeerReply {
    if (request.method !== 'POST' || request.url.pathname !== '/robot/send') return { status: 404, body: 'not found' };
    const robot = this.robots.get(request.url.searchParams.get('access_token') ?? '');
    if (!robot) return fail(300001, 'token is not exist');
    if (robot.secret) {
      const timestamp = Number(request.url.searchParams.get('timestamp'));
      const sign = request.url.searchParams.get('sign');
      if (!Number.isFinite(timestamp) || Math.abs(Date.now() - timestamp) > 3_600_000)
        return fail(310000, 'sign not match, more: timestamp is invalid');
      const expected = createHmac('sha256', robot.secret).update(`${timestamp}\n${robot.secret}`).digest('base64');
      // searchParams has already URL-decoded the sign once, as DingTalk's server does.
      if (sign !== expected) return fail(310000, 'sign not match');
    }
    if (Buffer.byteLength(request.body) > 20_000) return fail(460101, 'message too long, exceed 20000 bytes');
    let payload: any;
    try {
      payload = JSON.parse(request.body);
    } catch {
      return fail(40035, 'invalid json');
    }
    const content = JSON.stringify(payload.markdown ?? payload.text ?? payload.actionCard ?? {});
    if (robot.keywords && !robot.keywords.some((k) => content.includes(k))) return fail(310000, 'keywords not in content');
    if (payload.msgtype === 'markdown' && (!payload.markdown?.title || !payload.markdown?.text))
      return fail(400013, 'markdown title or text is empty');
    if (payload.msgtype === 'text' && !payload.text?.content) return fail(400013, 'text content is empty');
    if (!['markdown', 'text', 'actionCard', 'link', 'feedCard'].includes(payload.msgtype)) return fail(400013, 'invalid msgtype');
    let limit = this.limits.get(robot.accessToken);
    if (!limit) this.limits.set(robot.accessToken, (limit = new PerMinuteLimit(20)));
    if (!limit.allow()) {
      this.refused.push({ accessToken: robot.accessToken, at: Date.now() });
      return fail(130101, 'send too fast, exceed 20 times per minute');
    }
    this.accepted.push({ accessToken: robot.accessToken, payload });
    return { status: 200, body: { errcode: 0, errmsg: 'ok' } };
  }
}
