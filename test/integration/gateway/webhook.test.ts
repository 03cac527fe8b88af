import { createChannel, createRoute } from '../../support/fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { nextResults, startTestServer, type TestServer } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/env';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';
import { validPayload } from '../../support/alerts';

describe('Alertmanager webhook → routes → channels', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const dbPeer = new WebhookPeer();
  const fallbackPeer = new WebhookPeer();
  const flakyPeer = new WebhookPeer();
  let server: TestServer;
  let admin: string;
  let sender: string;
  let webhookUrl: string;
  let routeId: string;

  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${sender}` }) =>
    fetch(webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  async function receiptCount(): Promise<number> {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query('select count(*)::int as n from alert_receipt');
    await client.end();
    return rows[0].n;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await dbPeer.start();
    await fallbackPeer.start();
    await flakyPeer.start();
    const flagsFile = join(mkdtempSync(join(tmpdir(), 'aa-gw-flags-')), 'flags.yaml');
    writeFileSync(flagsFile, 'gateway.convergence: true\n');
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      FLAGS_BOOTSTRAP_FILE: flagsFile,
      DELIVERY_BACKOFF_BASE_MS: '100',
      DELIVERY_BACKOFF_MAX_MS: '300',
      GATEWAY_CONVERGENCE_WINDOW_MS: '2000',
      GATEWAY_CREDENTIAL_CACHE_MS: '300',
    });
    admin = await server.issueToken('admin');
    sender = await server.issueToken('operator', 'alertmanager-prod');
    webhookUrl = `${server.baseUrl}/api/v1/alerts/alertmanager`;
    const channel = async (name: string, peer: WebhookPeer) =>
      await createChannel(server, { name, type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, admin);
    const dbChannel = await channel('db-team', dbPeer);
    const fallbackChannel = await channel('everyone', fallbackPeer);
    const route = await server.gql(
      'mutation($i: RouteInput!) { createRoute(input: $i) { id matchers } }',
      { i: { name: 'databases', matchers: ['alertname=~"Disk.*"', 'severity="critical"'], channelIds: [dbChannel] } },
      admin,
    );
    routeId = route.data!.createRoute.id;
    const flakyChannel = await channel('flaky', flakyPeer);
    await createRoute(server, { name: 'flaky', matchers: ['alertname="Flaky"'], channelIds: [flakyChannel] }, admin);
    await createRoute(server, { name: 'default', isDefault: true, channelIds: [fallbackChannel] }, admin);
  });

  afterAll(async () => {
    await server?.stop();
    await dbPeer.stop();
    await fallbackPeer.stop();
    await flakyPeer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('accepts a payload, delivers it through the matching route, records it, and streams the events', async () => {
    const events = nextResults<{ gatewayEvents: Record<string, string> }>(
      server.wsClient(admin),
      'subscription { gatewayEvents(severity: "critical") { type alertname severity status } }',
      2,
    );
    await new Promise((r) => setTimeout(r, 150));

    const response = await post(validPayload());
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'accepted', accepted: 1, truncatedAlerts: 0 });

    await waitFor(() => dbPeer.accepted.length === 1, 'the db team webhook');
    expect(dbPeer.accepted[0].payload).toMatchObject({
      version: '4',
      groupKey: '{}:{alertname="DiskFull"}',
      alerts: [{ fingerprint: '1a2b3c4d5e6f7a8b' }],
    });
    expect(fallbackPeer.accepted).toHaveLength(0);

    const seen = (await events.done).map((e) => e.data!.gatewayEvents);
    expect(seen).toEqual([
      { type: 'received', alertname: 'DiskFull', severity: 'critical', status: 'firing' },
      { type: 'delivered', alertname: 'DiskFull', severity: 'critical', status: 'firing' },
    ]);

    const records = await server.gql(
      '{ alertRecords(alertname: "DiskFull") { total items { state routeNames fingerprint receivedAt routedAt firstDeliveredAt deliveryIds } } }',
      undefined,
      admin,
    );
    const [record] = records.data!.alertRecords.items;
    expect(record).toMatchObject({ state: 'delivered', routeNames: ['databases'], fingerprint: '1a2b3c4d5e6f7a8b' });
    expect(record.deliveryIds).toHaveLength(1);
    expect(new Date(record.firstDeliveredAt).getTime()).toBeGreaterThanOrEqual(new Date(record.receivedAt).getTime());
  });

  it('counts alerts by stage, cluster and severity and times receive → first delivery', async () => {
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/alertagent_gateway_alerts_total\{[^}]*stage="received"[^}]*severity="critical"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/alertagent_gateway_alerts_total\{[^}]*stage="delivered"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/alertagent_gateway_first_delivery_seconds_count\{[^}]*severity="critical"[^}]*\} [1-9]/);
  });

  it('sends what no route matches to the default route, and accepts basic auth as Alertmanager sends it', async () => {
    const payload = validPayload();
    payload.alerts[0].labels = { alertname: 'HighLatency', severity: 'warning' };
    payload.alerts[0].fingerprint = 'b0b0b0b0b0b0b0b0';
    const basic = Buffer.from(`prod-cluster:${sender}`).toString('base64');
    expect((await post(payload, { authorization: `Basic ${basic}` })).status).toBe(200);
    await waitFor(() => fallbackPeer.accepted.length === 1, 'the default route');
  });

  it('labels alerts with the cluster named in the per-cluster endpoint, unless they carry their own', async () => {
    const payload = validPayload();
    payload.alerts = [
      { ...payload.alerts[0], labels: { alertname: 'ClusterA', severity: 'info' }, fingerprint: 'a1a1a1a1a1a1a1a1' },
      { ...payload.alerts[0], labels: { alertname: 'ClusterA', severity: 'info', cluster: 'own' }, fingerprint: 'a2a2a2a2a2a2a2a2' },
    ];
    const response = await fetch(`${webhookUrl}/eu-west`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sender}` },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(200);
    await waitFor(
      async () => (await server.gql('{ alertRecords(alertname: "ClusterA") { total } }', undefined, admin)).data!.alertRecords.total === 2,
      'both records',
    );
    const records = await server.gql(
      '{ alertRecords(alertname: "ClusterA", order: ASC) { items { fingerprint cluster } } }',
      undefined,
      admin,
    );
    expect(records.data!.alertRecords.items.map((r: { cluster: string }) => r.cluster).sort()).toEqual(['eu-west', 'own']);
    const bad = await fetch(`${webhookUrl}/bad%20name`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sender}` },
      body: JSON.stringify(payload),
    });
    expect(bad.status).toBe(400);
  });

  it('applies a route change at once, without a restart', async () => {
    await server.gql(
      'mutation($id: ID!, $i: RouteUpdateInput!) { updateRoute(id: $id, input: $i) { id } }',
      {
        id: routeId,
        i: {
          name: 'databases',
          matchers: ['alertname=~"Disk.*"'],
          channelIds: (await server.gql('{ routes { items { channelIds } } }', undefined, admin)).data!.routes.items[0].channelIds,
        },
      },
      admin,
    );
    const payload = validPayload();
    payload.alerts[0].labels.severity = 'warning';
    payload.alerts[0].fingerprint = 'c0c0c0c0c0c0c0c0';
    expect((await post(payload)).status).toBe(200);
    await waitFor(() => dbPeer.accepted.length === 2, 'the changed route to apply');
  });

  it('moves a record from routed to delivered when a retry gets through, and says so live', async () => {
    flakyPeer.failWith = 503;
    const events = nextResults<{ gatewayEvents: Record<string, string> }>(
      server.wsClient(admin),
      'subscription { gatewayEvents(alertname: "Flaky") { type } }',
      3,
    );
    await new Promise((r) => setTimeout(r, 150));
    const payload = validPayload();
    payload.alerts[0].labels = { alertname: 'Flaky', severity: 'warning' };
    payload.alerts[0].fingerprint = 'f1f1f1f1f1f1f1f1';
    expect((await post(payload)).status).toBe(200);
    const state = async () =>
      (await server.gql('{ alertRecords(fingerprint: "f1f1f1f1f1f1f1f1") { items { state firstDeliveredAt } } }', undefined, admin)).data!
        .alertRecords.items[0];
    await waitFor(async () => (await state())?.state === 'routed', 'the record waiting on a retry');
    flakyPeer.failWith = null;
    await waitFor(async () => (await state()).state === 'delivered', 'the retry to settle the record');
    expect((await state()).firstDeliveredAt).not.toBeNull();
    const seen = (await events.done).map((e) => e.data!.gatewayEvents.type);
    expect(seen).toEqual(['received', 'routed', 'delivered']);
  });

  it('sends one message per alert on a per-alert route, one per group otherwise', async () => {
    const perAlertPeer = new WebhookPeer();
    await perAlertPeer.start();
    const channel = await createChannel(server, { name: 'pager', type: 'webhook', config: { url: `${perAlertPeer.baseUrl}/h` } }, admin);
    const route = await server.gql(
      'mutation($i: RouteInput!) { createRoute(input: $i) { perAlert } }',
      { i: { name: 'paging', matchers: ['alertname="Page"'], channelIds: [channel], perAlert: true, position: 0 } },
      admin,
    );
    expect(route.data!.createRoute.perAlert).toBe(true);
    const payload = validPayload();
    payload.alerts = ['p1', 'p2', 'p3'].map((instance, i) => ({
      ...payload.alerts[0],
      labels: { alertname: 'Page', instance },
      fingerprint: `9${i}9${i}9${i}9${i}9${i}9${i}9${i}9${i}`,
    }));
    expect((await post(payload)).status).toBe(200);
    await waitFor(() => perAlertPeer.accepted.length === 3, 'three separate messages');
    expect(perAlertPeer.accepted.map((r) => r.payload.alerts.length)).toEqual([1, 1, 1]);
    await perAlertPeer.stop();
  });

  it('drops the copy an Alertmanager HA peer sends of the same notification, recording it as a duplicate', async () => {
    const payload = validPayload();
    payload.alerts[0].labels = { alertname: 'DiskFull', severity: 'critical', instance: 'ha-1' };
    payload.alerts[0].fingerprint = 'd0d0d0d0d0d0d0d0';
    const before = dbPeer.accepted.length;
    expect((await post(payload)).status).toBe(200);
    expect((await post(payload)).status).toBe(200);
    await waitFor(async () => {
      const res = await server.gql('{ alertRecords(fingerprint: "d0d0d0d0d0d0d0d0") { items { state } } }', undefined, admin);
      const states = res.data!.alertRecords.items.map((r: { state: string }) => r.state).sort();
      return states.length === 2 && states[0] === 'delivered' && states[1] === 'duplicate';
    }, 'one delivered record and one duplicate');
    expect(dbPeer.accepted.length - before).toBe(1);
  });

  it('lets an HA copy through when the receipt holding its window was never stored (its server died before answering)', async () => {
    const payload = validPayload();
    payload.alerts[0].labels = { alertname: 'DiskFull', severity: 'critical', instance: 'ha-2' };
    payload.alerts[0].fingerprint = 'd1d1d1d1d1d1d1d1';
    // What a server killed between opening the window and storing its receipt leaves behind.
    const group = createHash('sha1').update(payload.groupKey).digest('hex').slice(0, 16);
    const key = `${redis.prefix}:window:dedupe:${group}:${payload.alerts[0].fingerprint}:firing:${payload.alerts[0].startsAt}`;
    const client = new Redis(TEST_REDIS_URL);
    await client.hset(key, 'owner', randomUUID(), 'count', 1);
    await client.pexpire(key, 60_000);
    client.disconnect();
    const before = dbPeer.accepted.length;
    expect((await post(payload)).status).toBe(200);
    await waitFor(async () => {
      const res = await server.gql('{ alertRecords(fingerprint: "d1d1d1d1d1d1d1d1") { items { state } } }', undefined, admin);
      return res.data!.alertRecords.items[0]?.state === 'delivered';
    }, 'the alert delivered, not dropped as a copy');
    expect(dbPeer.accepted.length - before).toBe(1);
  });

  it("answers 5xx when the receipt cannot be stored, and delivers Alertmanager's retry instead of taking it for a copy", async () => {
    const payload = validPayload();
    payload.groupKey = '{}:{alertname="StoreFails"}';
    payload.alerts[0].labels = { alertname: 'DiskStoreFails', severity: 'critical', instance: 'sf-1' };
    payload.alerts[0].fingerprint = 'd2d2d2d2d2d2d2d2';
    const client = new Client({ connectionString: db.url });
    await client.connect();
    // A real failure of the store for this group only.
    await client.query(`create function refuse_store_fails() returns trigger language plpgsql as $$
      begin if new.group_key = '{}:{alertname="StoreFails"}' then raise exception 'disk full'; end if; return new; end $$`);
    await client.query(
      'create trigger refuse_store_fails before insert on alert_receipt for each row execute function refuse_store_fails()',
    );
    try {
      const refused = await post(payload);
      expect(refused.status).toBeGreaterThanOrEqual(500);
    } finally {
      await client.query('drop trigger refuse_store_fails on alert_receipt');
      await client.query('drop function refuse_store_fails');
      await client.end();
    }
    // The pass-through attempt may already have reached the channel; the retry must reach it as well, never be dropped.
    await waitFor(() => dbPeer.accepted.some((r) => r.payload.alerts[0]?.fingerprint === 'd2d2d2d2d2d2d2d2'), 'the pass-through attempt');
    const before = dbPeer.accepted.length;
    expect((await post(payload)).status).toBe(200);
    await waitFor(async () => {
      const res = await server.gql('{ alertRecords(fingerprint: "d2d2d2d2d2d2d2d2") { items { state } } }', undefined, admin);
      return res.data!.alertRecords.items.length === 1 && res.data!.alertRecords.items[0].state === 'delivered';
    }, 'the retry stored once and delivered');
    expect(dbPeer.accepted.length - before).toBe(1);
  });

  it('with gateway.convergence on, folds repeats of a firing alert and always lets the resolution through', async () => {
    const firing = (startsAt: string) => {
      const payload = validPayload();
      payload.alerts[0].labels = { alertname: 'DiskFull', severity: 'critical', instance: 'flappy' };
      payload.alerts[0].fingerprint = 'e0e0e0e0e0e0e0e0';
      payload.alerts[0].startsAt = startsAt;
      return payload;
    };
    const before = dbPeer.accepted.length;
    for (const minute of ['01', '02', '03']) expect((await post(firing(`2026-11-25T11:${minute}:00Z`))).status).toBe(200);
    const resolved = firing('2026-11-25T11:03:00Z');
    resolved.status = 'resolved';
    resolved.alerts[0].status = 'resolved';
    resolved.alerts[0].endsAt = '2026-11-25T11:04:00Z';
    expect((await post(resolved)).status).toBe(200);
    await waitFor(async () => {
      const res = await server.gql('{ alertRecords(fingerprint: "e0e0e0e0e0e0e0e0") { items { state } } }', undefined, admin);
      return (
        res.data!.alertRecords.items.length === 4 &&
        res.data!.alertRecords.items.every((r: { state: string }) => r.state !== 'received' && r.state !== 'routed')
      );
    }, 'all four processed');
    const res = await server.gql(
      '{ alertRecords(fingerprint: "e0e0e0e0e0e0e0e0", order: ASC) { items { state status } } }',
      undefined,
      admin,
    );
    expect(res.data!.alertRecords.items.filter((r: { state: string }) => r.state === 'converged')).toHaveLength(2);
    expect(res.data!.alertRecords.items.filter((r: { state: string }) => r.state === 'delivered')).toHaveLength(2);
    expect(dbPeer.accepted.length - before).toBe(2);
    expect(dbPeer.accepted.at(-1)!.payload.status).toBe('resolved');
  });

  it('with gateway.convergence on, sends one summary with the count of folded repeats when the window closes', async () => {
    const repeat = (startsAt: string) => {
      const payload = validPayload();
      payload.alerts[0].labels = { alertname: 'DiskFull', severity: 'critical', instance: 'noisy' };
      payload.alerts[0].fingerprint = 'ababababababab01';
      payload.alerts[0].startsAt = startsAt;
      return payload;
    };
    const before = dbPeer.accepted.length;
    for (const second of ['01', '02', '03']) expect((await post(repeat(`2026-11-25T12:00:${second}Z`))).status).toBe(200);
    await waitFor(() => dbPeer.accepted.length - before === 2, 'the first notification and the summary', 10_000);
    const summary = dbPeer.accepted.at(-1)!.payload.alerts[0];
    expect(summary.labels.instance).toBe('noisy');
    expect(summary.annotations.alertagent_folded_repeats).toBe('2');
    expect(summary.annotations.alertagent_convergence).toBe('repeated 2 more times within 1 min of the first notification');
  });

  it('refuses to delete a channel a route uses; an alert meeting a missing channel anyway is failed with the reason, not retried forever', async () => {
    const doomed = await createChannel(server, { name: 'doomed', type: 'webhook', config: { url: `${dbPeer.baseUrl}/gone` } }, admin);
    await createRoute(server, { name: 'to-doomed', matchers: ['alertname="Doomed"'], channelIds: [doomed], position: 0 }, admin);
    const refused = await server.gql('mutation($id: ID!) { deleteChannel(id: $id) }', { id: doomed }, admin);
    expect(refused.errors?.[0]).toMatchObject({
      message: 'channel doomed is used by route to-doomed; take it out of them first',
      extensions: { code: 'CONFLICT', routes: ['to-doomed'] },
    });
    // A delete racing a route change can still leave a route naming a missing channel; simulate that.
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    await sql.query('delete from channel where id = $1', [doomed]);
    await sql.end();
    const events = nextResults<{ gatewayEvents: Record<string, string> }>(
      server.wsClient(admin),
      'subscription { gatewayEvents(alertname: "Doomed") { type detail } }',
      2,
    );
    await new Promise((r) => setTimeout(r, 150));
    const payload = validPayload();
    payload.alerts[0].labels = { alertname: 'Doomed' };
    payload.alerts[0].fingerprint = 'dddddddddddddd01';
    expect((await post(payload)).status).toBe(200);
    const [received, failed] = await events.done;
    expect(received.data!.gatewayEvents).toEqual({ type: 'received', detail: null });
    expect(failed.data!.gatewayEvents).toEqual({ type: 'failed', detail: `route names deleted channel ${doomed}` });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query(
      `select processed_at from alert_receipt r join alert_record a on a.receipt_id = r.id where a.fingerprint = 'dddddddddddddd01'`,
    );
    await client.end();
    expect(rows[0].processed_at).not.toBeNull();
  });

  it('answers bad requests with a precise 4xx and stores nothing', async () => {
    const before = await receiptCount();
    const wrongVersion = { ...validPayload(), version: '3' };
    const cases: Array<[unknown, Record<string, string> | undefined, number, RegExp]> = [
      ['{"version": "4", ', undefined, 400, /^request body is not valid JSON/],
      [wrongVersion, undefined, 400, /version: expected "4" \(the Alertmanager webhook payload version\)/],
      [
        { version: '4' },
        undefined,
        400,
        /groupKey: expected a string; status: expected "firing" or "resolved"; receiver: expected a string; alerts: /,
      ],
      [validPayload(), { authorization: 'Bearer aat_nope' }, 401, /invalid API token/],
      [validPayload(), {}, 401, /the webhook needs a token/],
      [
        { ...validPayload(), alerts: Array.from({ length: 5_001 }, () => validPayload().alerts[0]) },
        undefined,
        400,
        /at most 5000 alerts per request/,
      ],
    ];
    for (const [body, headers, status, message] of cases) {
      const response = await post(body, headers ?? { authorization: `Bearer ${sender}` });
      const answer = (await response.json()) as { errors: Array<{ message: string }> };
      expect({ status: response.status, message: answer.errors[0].message }).toEqual({ status, message: expect.stringMatching(message) });
    }
    const viewer = await server.issueToken('viewer', 'read-only');
    expect((await post(validPayload(), { authorization: `Bearer ${viewer}` })).status).toBe(403);
    const huge = JSON.stringify({ ...validPayload(), padding: 'x'.repeat(6 * 1024 * 1024) });
    expect((await post(huge)).status).toBe(413);
    expect(await receiptCount()).toBe(before);
  });

  it('refuses a compressed body it cannot read, and a revoked token within the credential cache time', async () => {
    const gzipped = await post(JSON.stringify(validPayload()), { authorization: `Bearer ${sender}`, 'content-encoding': 'gzip' });
    expect(gzipped.status).toBe(400);
    expect(((await gzipped.json()) as { errors: Array<{ message: string }> }).errors[0].message).toMatch(
      /content encoding "gzip" is not supported/,
    );

    const token = await server.issueToken('operator', 'soon-revoked');
    const tokenId = (await server.gql('{ apiTokens { items { id name } } }', undefined, admin)).data!.apiTokens.items.find(
      (t: { name: string }) => t.name === 'soon-revoked',
    ).id;
    expect((await post(validPayload(), { authorization: `Bearer ${token}` })).status).toBe(200);
    await server.gql('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: tokenId }, admin);
    const revokedAt = Date.now();
    const refused = await waitFor(async () => {
      const response = await post(validPayload(), { authorization: `Bearer ${token}` });
      return response.status === 401 ? response : false;
    }, 'the revoked token refused');
    expect(Date.now() - revokedAt).toBeLessThan(300 + 1_000);
    expect(((await refused.json()) as { errors: Array<{ message: string }> }).errors[0].message).toMatch(/revoked/);
  });

  it('serves the webhook path exactly as documented: trailing slash and query accepted, request id echoed, other methods 405 with Allow: POST', async () => {
    const withSlash = await fetch(`${webhookUrl}/?source=am`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sender}`, 'x-request-id': 'am-req-42' },
      body: JSON.stringify(validPayload()),
    });
    expect(withSlash.status).toBe(200);
    expect(withSlash.headers.get('x-request-id')).toBe('am-req-42');
    expect(((await withSlash.json()) as { status: string }).status).toBe('accepted');
    const generated = await post(validPayload());
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // Someone opening the URL in a browser learns it is the right one.
    for (const [method, url] of [
      ['GET', webhookUrl],
      ['PUT', `${webhookUrl}/prod-eu`],
      ['DELETE', `${webhookUrl}/`],
    ] as const) {
      const other = await fetch(url, { method, headers: { authorization: `Bearer ${sender}` } });
      expect({ method, status: other.status, allow: other.headers.get('allow') }).toEqual({ method, status: 405, allow: 'POST' });
      expect(((await other.json()) as { errors: Array<{ message: string; extensions: { code: string } }> }).errors[0]).toEqual({
        message: `this is AlertAgent's Alertmanager webhook: Alertmanager POSTs alerts here (webhook_configs url, with a bearer token); ${method} is not served`,
        extensions: { code: 'METHOD_NOT_ALLOWED' },
      });
    }
    expect((await fetch(`${webhookUrl}/a/b`)).status).toBe(404);
    const latin1 = await post(JSON.stringify(validPayload()), {
      authorization: `Bearer ${sender}`,
      'content-type': 'application/json; charset=iso-8859-1',
    });
    expect(latin1.status).toBe(400);
    expect(((await latin1.json()) as { errors: Array<{ message: string }> }).errors[0].message).toMatch(/unsupported charset "iso-8859-1"/);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /alertagent_http_request_duration_seconds_count\{role="serve",method="POST",route="\/api\/v1\/alerts\/alertmanager",status="200"\} [1-9]/,
    );
  });

  it('never answers 5xx to hundreds of generated malformed payloads', async () => {
    const mutations: Array<(p: Record<string, any>) => void> = [
      (p) => delete p.alerts,
      (p) => (p.alerts = 'many'),
      (p) => (p.alerts[0].labels = null),
      (p) => (p.alerts[0].labels = { a: 1 }),
      (p) => (p.alerts[0].startsAt = 12),
      (p) => (p.alerts[0].status = ''),
      (p) => (p.status = ['firing']),
      (p) => (p.truncatedAlerts = -1),
      (p) => (p.version = 4),
      (p) => (p.groupKey = null),
      (p) => (p.commonLabels = 'x'),
      (p) => (p.alerts[0] = null),
    ];
    const statuses = new Map<number, number>();
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i += 1) {
      const payload = validPayload();
      const count = 1 + Math.floor(random() * 3);
      for (let j = 0; j < count; j += 1) {
        try {
          mutations[Math.floor(random() * mutations.length)](payload);
        } catch {
          // An earlier mutation removed what this one changes; the payload is broken enough already.
        }
      }
      const response = await post(i % 10 === 0 ? JSON.stringify(payload).slice(0, Math.floor(random() * 200)) : payload);
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    expect(statuses.get(400)).toBeGreaterThan(250);
  });
});
