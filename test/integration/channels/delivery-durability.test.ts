import { createChannel } from '../../support/fixtures';
import { RequestContext } from '@mikro-orm/core';
import { alert, alertGroup } from '../../support/alerts';
import { startTestServer, type TestServer } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/env';
import { SlackPeer } from '../../support/peers/slack-peer';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';

const RETRY_ENV = {
  DELIVERY_BACKOFF_BASE_MS: '100',
  DELIVERY_BACKOFF_MAX_MS: '400',
  DELIVERY_MAX_ATTEMPTS: '50',
  DELIVERY_SWEEP_INTERVAL_MS: '500',
  DELIVERY_LEASE_MS: '3000',
};

describe('durable delivery with BullMQ on Redis', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: TestServer;
  let admin: string;
  let channelId: string;
  let env: Record<string, string>;

  async function deliverMany(target: TestServer, prefix: string, count: number) {
    const { deliveries, storage } = target.handle.services;
    for (let i = 0; i < count; i += 1) {
      await RequestContext.create(storage.orm.em, () =>
        deliveries.deliver(channelId, alertGroup([alert({ labels: { instance: `${prefix}-${i}` } })]), {
          source: 'test',
          idempotencyKey: `${prefix}-${i}`,
        }),
      );
    }
  }

  async function statusCounts(target: TestServer): Promise<Record<string, number>> {
    const res = await target.gql('query($c: ID!) { deliveries(channelId: $c, limit: 500) { items { status } } }', { c: channelId }, admin);
    const counts: Record<string, number> = {};
    for (const { status } of res.data!.deliveries.items) counts[status] = (counts[status] ?? 0) + 1;
    return counts;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix, ...RETRY_ENV };
    server = await startTestServer(env);
    admin = await server.issueToken('admin');
    const createdId = await createChannel(server, { name: 'flaky-peer', type: 'webhook', config: { url: `${peer.baseUrl}/hook` } }, admin);
    channelId = createdId;
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('retries with growing delays while the peer is down, then delivers every message exactly once', async () => {
    peer.failWith = 503;
    await deliverMany(server, 'outage', 20);
    // Still owed, every one: waiting for a retry or in the middle of one; none given up, none delivered.
    const owed = await statusCounts(server);
    expect(Object.keys(owed).filter((s) => s !== 'RETRYING' && s !== 'SENDING')).toEqual([]);
    expect((owed.RETRYING ?? 0) + (owed.SENDING ?? 0)).toBe(20);

    await waitFor(
      async () =>
        (await server.gql('{ deliveries(limit: 1, order: ASC) { items { attempts } } }', undefined, admin)).data!.deliveries.items[0]
          .attempts >= 4,
      'a few retries',
    );
    peer.failWith = null;
    await waitFor(async () => (await statusCounts(server)).DELIVERED === 20, 'every delivery to arrive', 20_000);

    const outage = [...peer.seenKeys.entries()].filter(([key]) => key.startsWith('outage-'));
    expect(outage).toHaveLength(20);
    expect(outage.every(([, times]) => times === 1)).toBe(true);
    expect(peer.accepted.filter((r) => String(r.headers['idempotency-key']).startsWith('outage-'))).toHaveLength(20);

    const first = await server.gql(
      'query($c: ID!) { deliveries(channelId: $c, limit: 1, order: ASC) { items { attemptLog { ok status createdAt } } } }',
      { c: channelId },
      admin,
    );
    const log: Array<{ ok: boolean; status: number; createdAt: string }> = first.data!.deliveries.items[0].attemptLog;
    expect(log.slice(0, -1).every((a) => !a.ok && a.status === 503)).toBe(true);
    expect(log.at(-1)!.ok).toBe(true);
    const gaps = log.slice(1, 4).map((a, i) => new Date(a.createdAt).getTime() - new Date(log[i].createdAt).getTime());
    expect(gaps[0]).toBeGreaterThanOrEqual(70);
    expect(gaps[2]).toBeGreaterThan(gaps[0]);
  });

  it('loses nothing across a server restart in the middle of an outage', async () => {
    peer.failWith = 503;
    await deliverMany(server, 'restart', 20);
    await server.stop();

    peer.failWith = null;
    server = await startTestServer(env);
    await waitFor(async () => (await statusCounts(server)).DELIVERED === 40, 'deliveries from before the restart', 20_000);
    const restart = [...peer.seenKeys.entries()].filter(([key]) => key.startsWith('restart-'));
    expect(restart).toHaveLength(20);
    expect(restart.every(([, times]) => times === 1)).toBe(true);
  });

  it('marks a delivery failed with the reason after a permanent refusal, without retrying', async () => {
    peer.failWith = 400;
    await deliverMany(server, 'refused', 1);
    const res = await server.gql(
      'query($c: ID!) { deliveries(channelId: $c, status: FAILED) { items { attempts lastError attemptLog { retryable status peerAnswer } } } }',
      { c: channelId },
      admin,
    );
    expect(res.data!.deliveries.items).toEqual([
      {
        attempts: 1,
        lastError: 'webhook answered HTTP 400',
        attemptLog: [{ retryable: false, status: 400, peerAnswer: '{"error":"temporarily unavailable"}' }],
      },
    ]);
    peer.failWith = null;
  });

  it("waits as long as Slack's Retry-After asks, even when its own backoff is shorter", async () => {
    const slack = new SlackPeer();
    await slack.start();
    slack.throttleNext = 1;
    slack.retryAfterSeconds = 1;
    const createdId = await createChannel(
      server,
      { name: 'slack-throttled', type: 'slack', config: { webhookUrl: slack.webhookUrl } },
      admin,
    );
    const slackChannel = createdId;
    const { deliveries, storage } = server.handle.services;
    await RequestContext.create(storage.orm.em, () =>
      deliveries.deliver(slackChannel, alertGroup([alert()]), { source: 'test', idempotencyKey: 'slack-429' }),
    );
    const query = 'query($c: ID!) { deliveries(channelId: $c) { items { status attemptLog { status createdAt } } } }';
    const done = await waitFor(async () => {
      const item = (await server.gql(query, { c: slackChannel }, admin)).data!.deliveries.items[0];
      return item.status === 'DELIVERED' ? item : undefined;
    }, 'the throttled Slack delivery');
    await slack.stop();
    const [first, second] = done.attemptLog;
    expect(first.status).toBe(429);
    expect(new Date(second.createdAt).getTime() - new Date(first.createdAt).getTime()).toBeGreaterThanOrEqual(950);
  });

  it('reports channel health from the attempts: degraded after the outage, with latency figures', async () => {
    const res = await server.gql(
      'query($id: ID!) { channel(id: $id) { health { status attempts successRate p50LatencyMs p95LatencyMs lastError } } }',
      { id: channelId },
      admin,
    );
    const health = res.data!.channel.health;
    expect(health.attempts).toBeGreaterThan(40);
    expect(health.successRate).toBeGreaterThan(0);
    expect(health.successRate).toBeLessThan(0.95);
    expect(['DEGRADED', 'DOWN']).toContain(health.status);
    expect(health.p95LatencyMs).toBeGreaterThanOrEqual(health.p50LatencyMs);
    expect(health.lastError).toBe('webhook answered HTTP 400');
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/alertagent_channel_sends_total\{[^}]*channel="flaky-peer"[^}]*outcome="delivered"[^}]*\} \d+/);
  });
});

describe('durable delivery without Redis (the database is the outbox)', () => {
  let db: TestDatabase;
  const peer = new WebhookPeer();
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    env = { DATABASE_URL: db.url, ...RETRY_ENV };
    server = await startTestServer(env);
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
  });

  it('picks up deliveries owed before a restart, though the in-process queue forgot them', async () => {
    const admin = await server.issueToken('admin');
    const createdId = await createChannel(server, { name: 'outbox-peer', type: 'webhook', config: { url: `${peer.baseUrl}/hook` } }, admin);
    const channelId = createdId;
    peer.failWith = 503;
    const { deliveries, storage } = server.handle.services;
    for (let i = 0; i < 10; i += 1) {
      await RequestContext.create(storage.orm.em, () =>
        deliveries.deliver(channelId, alertGroup([alert({ labels: { instance: `o-${i}` } })]), {
          source: 'test',
          idempotencyKey: `outbox-${i}`,
        }),
      );
    }
    await server.stop();
    peer.failWith = null;
    server = await startTestServer(env);
    await waitFor(() => peer.accepted.length === 10, 'all ten deliveries after the restart', 20_000);
    expect([...peer.seenKeys.values()].every((times) => times === 1)).toBe(true);
  });
});
