import { Redis } from 'ioredis';
import { deliveryPolicySchema, priorityOf } from '../../../src/services/channels/delivery-policy';
import { mergeHead } from '../../../src/services/channels/merged-message';
import type { ChannelMessage } from '../../../src/services/channels/message';
import {
  effectiveLimit,
  FallbackTokenBuckets,
  InProcessTokenBuckets,
  RedisTokenBuckets,
  robotLimit,
  type TokenBuckets,
} from '../../../src/services/channels/robot-limits';
import { alert, alertGroup } from '../../support/alerts';
import { TEST_REDIS_URL } from '../../support/env';
import { testRedisPrefix } from '../../support/redis';

const DINGTALK = robotLimit('dingtalk', 'token-1', { perMinute: 20, burst: 10 });

describe('token buckets', () => {
  afterEach(() => jest.restoreAllMocks());

  it('never lets more than perMinute through in any 60 seconds, whatever the pace of asking', async () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const buckets = new InProcessTokenBuckets();
    const sent: number[] = [];
    // Someone asking every 100 ms for ten minutes, as a storm would.
    for (let t = 0; t < 600_000; t += 100) {
      now = 1_000_000 + t;
      if ((await buckets.take(DINGTALK)) === 0) sent.push(now);
    }
    const busiest = Math.max(...sent.map((start) => sent.filter((t) => t >= start && t < start + 60_000).length));
    expect(busiest).toBeLessThanOrEqual(20);
    expect(busiest).toBeGreaterThanOrEqual(19);
    // The burst at once, then the refill: 10 + 10 a minute.
    expect(sent.length).toBeGreaterThanOrEqual(10 + 99);
    expect(sent.length).toBeLessThanOrEqual(10 + 101);
  });

  it('answers how long until the next token, and a refund makes one available again', async () => {
    const buckets = new InProcessTokenBuckets();
    for (let i = 0; i < 10; i++) expect(await buckets.take(DINGTALK)).toBe(0);
    const wait = await buckets.take(DINGTALK);
    expect(wait).toBeGreaterThan(5_900);
    expect(wait).toBeLessThanOrEqual(6_000);
    await buckets.refund(DINGTALK);
    expect(await buckets.take(DINGTALK)).toBe(0);
    // A message costing more than one request (PagerDuty, one event per alert) takes as many tokens.
    const pagerduty = robotLimit('pagerduty', 'key', { perMinute: 120, burst: 4 });
    expect(await buckets.take(pagerduty, 3)).toBe(0);
    expect(await buckets.take(pagerduty, 3)).toBeGreaterThan(0);
  });

  describe('in Redis, shared by replicas', () => {
    const redisPrefix = testRedisPrefix();
    const clients: Redis[] = [];
    afterAll(async () => {
      clients.forEach((c) => c.disconnect());
      await redisPrefix.cleanup();
    });

    it('two replicas asking at once share one allowance', async () => {
      const replicas = [0, 1].map(() => {
        const client = new Redis(TEST_REDIS_URL);
        clients.push(client);
        return new RedisTokenBuckets(client, redisPrefix.prefix);
      });
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => replicas[i % 2]!.take(DINGTALK)));
      expect(answers.filter((w) => w === 0)).toHaveLength(10);
      expect(Math.min(...answers.filter((w) => w > 0))).toBeGreaterThan(5_000);
    });

    it('falls back to this process while Redis fails, and says so', async () => {
      const broken: TokenBuckets = {
        take: () => Promise.reject(new Error('connection refused')),
        refund: () => Promise.reject(new Error('connection refused')),
      };
      const monitor = { fellBack: jest.fn(), recovered: jest.fn() };
      const buckets = new FallbackTokenBuckets(broken, monitor);
      expect(await buckets.take(DINGTALK)).toBe(0);
      expect(monitor.fellBack).toHaveBeenCalledWith('robot-limits', expect.any(Error));
    });
  });

  it('a channel setting overrides the type default; without a burst it takes half the limit', () => {
    expect(effectiveLimit({ perMinute: 20, burst: 10 }, null)).toEqual({ perMinute: 20, burst: 10 });
    expect(effectiveLimit({ perMinute: 20, burst: 10 }, { perMinute: 6 })).toEqual({ perMinute: 6, burst: 3 });
    expect(effectiveLimit(undefined, null)).toBeNull();
    // The robot's identity is hashed: a webhook token never lands in a Redis key.
    expect(robotLimit('dingtalk', 'secret-token', { perMinute: 20, burst: 10 }).key).not.toContain('secret-token');
  });
});

describe('merging what waits for a robot', () => {
  const waiting = (name: string, body: string, priority = 0) => ({
    row: { id: name, priority, message: alertGroup([alert({ labels: { alertname: name } })]) },
    rendered: { title: `[FIRING:1] ${name}`, body },
  });

  it('carries the head and those behind it while the body fits, in order, saying how many', () => {
    const queue = [
      waiting('A', 'a'.repeat(300)),
      waiting('B', 'b'.repeat(300)),
      waiting('C', 'c'.repeat(300)),
      waiting('D', 'd'.repeat(10)),
    ];
    const { carried, rest, rendered, message } = mergeHead(queue, 800, 20);
    expect(carried.map((w) => w.row.id)).toEqual(['A', 'B']);
    // D would fit, but it is not let past C.
    expect(rest.map((w) => w.row.id)).toEqual(['C', 'D']);
    expect(rendered.title).toBe('[FIRING:1] A (+1 more)');
    expect(rendered.body).toMatch(/^2 notifications in one message \(this robot takes 20 a minute\):/);
    expect(Buffer.byteLength(JSON.stringify(rendered.body))).toBeLessThanOrEqual(800);
    expect(rendered.body.indexOf('aaa')).toBeLessThan(rendered.body.indexOf('bbb'));
    expect(message.alerts.map((a) => a.labels.alertname)).toEqual(['A', 'B']);
  });

  it('counts the body as the peer does: JSON-escaped UTF-8 bytes', () => {
    const cjk = '磁盘'.repeat(50); // 300 bytes in UTF-8
    const quoted = '"\\'.repeat(75); // 150 characters, 300 once escaped
    expect(mergeHead([waiting('A', cjk), waiting('B', cjk)], 600, null).carried).toHaveLength(1);
    expect(mergeHead([waiting('A', quoted), waiting('B', quoted)], 600, null).carried).toHaveLength(1);
  });

  it('a first notice of a critical alert shares a message only with its kind; one too large still goes, alone and whole', () => {
    expect(mergeHead([waiting('CRIT', 'x', 1), waiting('W', 'y')], 10_000, 20).carried.map((w) => w.row.id)).toEqual(['CRIT']);
    const huge = waiting('HUGE', 'h'.repeat(5_000));
    expect(mergeHead([huge, waiting('B', 'b')], 1_000, 20)).toMatchObject({ carried: [huge], rendered: huge.rendered });
    // No budget: the type never merges (PagerDuty).
    expect(mergeHead([waiting('A', 'a'), waiting('B', 'b')], null, 120).carried).toHaveLength(1);
  });

  it('the first notice of a critical alert is what goes first; resolutions and incident updates are not', () => {
    const critical = alertGroup([alert({ labels: { severity: 'critical' } })]);
    expect(priorityOf(critical)).toBe(1);
    expect(priorityOf(alertGroup([alert({ labels: { severity: 'Critical' } })]))).toBe(1);
    expect(priorityOf(alertGroup([alert({ labels: { severity: 'warning' } })]))).toBe(0);
    expect(
      priorityOf({ ...critical, status: 'resolved', alerts: critical.alerts.map((a) => ({ ...a, status: 'resolved' })) } as ChannelMessage),
    ).toBe(0);
    expect(
      priorityOf({
        ...critical,
        incident: { id: 'i', title: 't', notice: 'update', sequence: 1, openedAt: '', firing: 1, total: 1, added: 0, resolved: 0 },
      }),
    ).toBe(0);
  });
});

describe('delivery policy', () => {
  it('defaults what is omitted and refuses what cannot work', () => {
    expect(deliveryPolicySchema.parse({})).toEqual({
      pool: [],
      failoverAfterAttempts: 3,
      failoverAfterSeconds: 300,
      failoverWhenDown: true,
    });
    expect(deliveryPolicySchema.parse({ slo: { successRate: 0.99 } }).slo).toEqual({
      successRate: 0.99,
      windowMinutes: 60,
      minAttempts: 10,
    });
    const issues = (input: unknown) => deliveryPolicySchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ rateLimit: { perMinute: 20, burst: 20 } })).toEqual(['rateLimit.burst: burst must be below perMinute']);
    expect(issues({ pool: ['not-an-id'] })).toEqual(['pool.0: expected a channel id']);
    expect(issues({ probeIntervalSeconds: 5 })).toEqual(['probeIntervalSeconds: must be at least 30']);
    expect(issues({ slo: { successRate: 0 } })).toEqual(['slo.successRate: must be above 0']);
    expect(issues({ whatever: true })?.[0]).toMatch(/whatever/);
  });
});
