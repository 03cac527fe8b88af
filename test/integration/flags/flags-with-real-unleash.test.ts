import { createAnalysisProvider, createChannel } from '../../support/fixtures';
import { nextResults, startTestServer, type TestServer } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/env';
import { scrapeMetric } from '../../support/metrics';
import { OpenAIPeer } from '../../support/peers/openai-peer';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { alert, validPayload } from '../../support/alerts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { UnleashServer } from '../../support/unleash-server';
import { waitFor } from '../../support/wait';

const REFRESH_MS = 300;
const FLAGS =
  'query($c: String, $t: String, $s: String) { flags(cluster: $c, team: $t, severity: $s) { name enabled source override { enabled reason actor expiresAt } } }';

/**
 * Flags on two replicas that share PostgreSQL and Redis, fed by the real Unleash server: they
 * follow Unleash within its refresh interval, evaluate its strategies with the alert's context,
 * keep the last values when it stops, and take overrides that outrank it. Every change is
 * audited, counted, streamed and notified once, whichever replica saw it first.
 */
describe('flags with a real Unleash server on two replicas', () => {
  const unleash = new UnleashServer();
  const peer = new WebhookPeer();
  const openai = new OpenAIPeer('sk-maturity-test-key');
  const redis = testRedisPrefix();
  let db: TestDatabase;
  let first: TestServer;
  let second: TestServer;
  let admin: string;
  let operator: string;
  let channelId: string;

  const flag = async (server: TestServer, name: string, context: Record<string, string> = {}) =>
    (
      (await server.gql(FLAGS, context, admin)).data!.flags as Array<{
        name: string;
        enabled: boolean;
        source: string;
        override: Record<string, unknown> | null;
      }>
    ).find((f) => f.name === name)!;
  const changes = async (name: string) =>
    (
      (await first.gql('query { auditEvents(limit: 100) { items { actor action targetId details } } }', undefined, admin)).data!.auditEvents
        .items as Array<{ actor: string; action: string; targetId: string; details: Record<string, unknown> }>
    ).filter((e) => e.action === 'flag.changed' && e.targetId === name);
  const notices = (name: string) => peer.accepted.filter((m) => m.payload.commonLabels?.flag === name);
  const changeCount = async (name: string, source: string) => {
    const labels = { flag: name, source };
    return (
      ((await scrapeMetric(first.baseUrl, 'alertagent_flag_changes_total', labels)) ?? 0) +
      ((await scrapeMetric(second.baseUrl, 'alertagent_flag_changes_total', labels)) ?? 0)
    );
  };

  beforeAll(async () => {
    await Promise.all([unleash.start(), peer.start(), openai.start()]);
    for (const field of ['cluster', 'team', 'severity']) await unleash.createContextField(field);
    await unleash.createToggle('gateway.inhibition', true);
    await unleash.createToggle('analysis.enabled', true);
    await unleash.createToggle('routing.smart', true);
    await unleash.createToggle('analysis.remediation', true);
    await unleash.createToggle('gateway.grouping', true, {
      name: 'flexibleRollout',
      parameters: { rollout: '100', stickiness: 'default', groupId: 'gateway.grouping' },
      constraints: [
        { contextName: 'cluster', operator: 'IN', values: ['prod-eu'] },
        { contextName: 'severity', operator: 'IN', values: ['critical'] },
      ],
    });

    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix };
    // The notification channel must exist before the replicas are configured with its id.
    const setup = await startTestServer(env);
    const setupAdmin = await setup.issueToken('admin', 'setup');
    channelId = await createChannel(setup, { name: 'flag-watch', type: 'webhook', config: { url: `${peer.baseUrl}/flags` } }, setupAdmin);
    await setup.stop();

    const replicaEnv = {
      ...env,
      UNLEASH_URL: unleash.apiUrl,
      UNLEASH_API_TOKEN: unleash.clientToken,
      UNLEASH_REFRESH_INTERVAL_MS: String(REFRESH_MS),
      FLAGS_NOTIFY_CHANNEL_ID: channelId,
      ANALYSIS_MATURITY_MIN_SAMPLES: '4',
      ANALYSIS_MATURITY_MIN_ACCURACY: '0.6',
      ANALYSIS_MATURITY_INTERVAL_MS: '300',
      // Remediation asks more of a provider than the rest.
      ANALYSIS_MATURITY_FEATURE_MIN_ACCURACY: 'analysis.remediation=0.9',
    };
    first = await startTestServer(replicaEnv);
    second = await startTestServer(replicaEnv);
    admin = await first.issueToken('admin');
    operator = await first.issueToken('operator');
    await waitFor(
      async () =>
        (await flag(first, 'gateway.inhibition')).source === 'UNLEASH' && (await flag(second, 'gateway.inhibition')).source === 'UNLEASH',
      'both replicas to sync with Unleash',
      20_000,
    );
    // The replicas record the move from the setup server's defaults to Unleash; let that settle first.
    const inUnleash = ['gateway.inhibition', 'gateway.grouping', 'analysis.enabled', 'routing.smart', 'analysis.remediation'];
    await waitFor(
      async () => {
        const recorded = await Promise.all(
          inUnleash.map(async (name) => (await changes(name)).some((e) => e.details.source === 'unleash')),
        );
        return recorded.every(Boolean);
      },
      'the start-up changes to be recorded',
      20_000,
    );
  }, 180_000);

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await unleash.destroy();
    await peer.stop();
    await openai.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('follows a toggle switched in Unleash on both replicas within the refresh interval, and records the change once', async () => {
    const stream = nextResults<{ flagChanged: Record<string, unknown> }>(
      second.wsClient(admin),
      'subscription { flagChanged { name enabled source previousEnabled previousSource actor reason at } }',
    );
    await waitFor(
      async () => ((await scrapeMetric(second.baseUrl, 'alertagent_subscription_executions')) ?? 0) >= 1,
      'the subscription running',
    );
    const before = (await changes('gateway.inhibition')).length;
    const noticesBefore = notices('gateway.inhibition').length;
    const countedBefore = await changeCount('gateway.inhibition', 'unleash');

    const switchedAt = Date.now();
    await unleash.setEnabled('gateway.inhibition', false);
    await waitFor(
      async () => !(await flag(first, 'gateway.inhibition')).enabled && !(await flag(second, 'gateway.inhibition')).enabled,
      'both replicas to follow',
      5_000,
      20,
    );
    const followedMs = Date.now() - switchedAt;
    // Unleash's own client polls every REFRESH_MS; the bound is generous for a loaded CI machine
    // (1.1–1.7 s seen there), far below what a broken refresh would take.
    expect(followedMs).toBeLessThan(REFRESH_MS * 2 + 4_000);

    const [event] = await stream.done;
    expect(event.data!.flagChanged).toMatchObject({
      name: 'gateway.inhibition',
      enabled: false,
      source: 'UNLEASH',
      previousEnabled: true,
      previousSource: 'UNLEASH',
      actor: 'system:unleash',
    });
    await waitFor(async () => (await changes('gateway.inhibition')).length === before + 1, 'the audit record');
    await waitFor(() => notices('gateway.inhibition').length === noticesBefore + 1, 'the notice on the flag channel');
    await new Promise((r) => setTimeout(r, REFRESH_MS * 3));
    expect(await changes('gateway.inhibition')).toHaveLength(before + 1);
    expect(notices('gateway.inhibition')).toHaveLength(noticesBefore + 1);
    expect(notices('gateway.inhibition').at(-1)!.payload.commonAnnotations).toEqual({
      summary: 'Feature flag gateway.inhibition is now off (was on, decided by unleash)',
      description: 'system:unleash: changed by Unleash',
    });
    expect(await changeCount('gateway.inhibition', 'unleash')).toBe(countedBefore + 1);
    expect(await scrapeMetric(second.baseUrl, 'alertagent_flag_enabled', { flag: 'gateway.inhibition', source: 'unleash' })).toBe(0);
  });

  it("evaluates Unleash strategies with an alert's cluster, team and severity", async () => {
    expect((await flag(first, 'gateway.grouping', { c: 'prod-eu', s: 'critical' })).enabled).toBe(true);
    expect((await flag(second, 'gateway.grouping', { c: 'prod-eu', s: 'critical', t: 'db' })).enabled).toBe(true);
    expect((await flag(first, 'gateway.grouping', { c: 'prod-eu', s: 'warning' })).enabled).toBe(false);
    expect((await flag(second, 'gateway.grouping', { c: 'staging', s: 'critical' })).enabled).toBe(false);
    expect(await flag(first, 'gateway.grouping')).toMatchObject({ enabled: false, source: 'UNLEASH' });
  });

  it('takes an override above Unleash on every replica within a second, audited with who and why, and lets Unleash decide again when cleared', async () => {
    const noticesBefore = notices('gateway.inhibition').length;
    const set = await first.gql(
      'mutation($i: FlagOverrideInput!) { setFlagOverride(input: $i) { name enabled source override { reason actor } } }',
      { i: { name: 'gateway.inhibition', enabled: true, reason: 'INC-4411: inhibit node-down fan-out during the storage migration' } },
      admin,
    );
    expect(set.errors).toBeUndefined();
    expect(set.data!.setFlagOverride).toMatchObject({ enabled: true, source: 'OVERRIDE', override: { actor: 'api-token:test-admin' } });
    const setAt = Date.now();
    await waitFor(
      async () => (await flag(second, 'gateway.inhibition')).source === 'OVERRIDE',
      'the other replica to apply the override',
      2_000,
      20,
    );
    expect(Date.now() - setAt).toBeLessThan(1_000);
    await waitFor(async () => (await changes('gateway.inhibition')).some((e) => e.actor === 'api-token:test-admin'), 'the change record');
    const recorded = (await changes('gateway.inhibition')).filter((e) => e.actor === 'api-token:test-admin');
    expect(recorded).toHaveLength(1);
    expect(recorded[0].details).toMatchObject({
      enabled: true,
      source: 'override',
      previousEnabled: false,
      previousSource: 'unleash',
      reason: 'INC-4411: inhibit node-down fan-out during the storage migration',
    });
    await waitFor(() => notices('gateway.inhibition').length === noticesBefore + 1, 'the notice of the override');

    const cleared = await second.gql('mutation { clearFlagOverride(name: "gateway.inhibition") { enabled source } }', undefined, admin);
    expect(cleared.data!.clearFlagOverride).toEqual({ enabled: false, source: 'UNLEASH' });
    await waitFor(
      async () => (await flag(first, 'gateway.inhibition')).source === 'UNLEASH',
      'the first replica to drop the override',
      2_000,
      20,
    );
    await waitFor(
      async () => (await changes('gateway.inhibition')).some((e) => e.actor === 'system:flag-overrides'),
      'the record of the override lifted',
    );
  });

  it('lets an override lapse at its expiry', async () => {
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const set = await first.gql(
      'mutation($i: FlagOverrideInput!) { setFlagOverride(input: $i) { source } }',
      { i: { name: 'gateway.inhibition', enabled: true, reason: 'short test', expiresAt } },
      admin,
    );
    expect(set.data!.setFlagOverride.source).toBe('OVERRIDE');
    await waitFor(async () => (await flag(second, 'gateway.inhibition')).source === 'UNLEASH', 'the override to lapse', 5_000, 50);
    await waitFor(
      async () => (await changes('gateway.inhibition')).some((e) => String(e.details.reason).includes('expired')),
      'the record of the lapse',
    );
  });

  it('refuses overrides of unknown flags, without a reason, already expired or by a non-admin, changing nothing and auditing each refusal', async () => {
    const mutation = 'mutation($i: FlagOverrideInput!) { setFlagOverride(input: $i) { name } }';
    const bad = [
      { name: 'gateway.teleport', enabled: true, reason: 'x' },
      { name: 'gateway.inhibition', enabled: true, reason: '   ' },
      { name: 'gateway.inhibition', enabled: true, reason: 'x'.repeat(501) },
      { name: 'gateway.inhibition', enabled: true, reason: 'late', expiresAt: new Date(Date.now() - 1_000).toISOString() },
      { name: 'gateway.inhibition', enabled: true, reason: 'far', expiresAt: new Date(Date.now() + 400 * 24 * 3600 * 1000).toISOString() },
    ];
    const count = async (action: string) =>
      (await first.gql('query($a: String) { auditEvents(action: $a, limit: 200) { total } }', { a: action }, admin)).data!.auditEvents
        .total as number;
    const [refusedBefore, deniedBefore, changedBefore] = [
      await count('flag.override.refused'),
      await count('access.denied'),
      await count('flag.changed'),
    ];
    for (const input of bad) {
      const answer = await first.gql(mutation, { i: input }, admin);
      expect(answer.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    expect(
      (await first.gql(mutation, { i: { name: 'gateway.inhibition', enabled: true, reason: 'me' } }, operator)).errors?.[0].extensions
        ?.code,
    ).toBe('FORBIDDEN');
    expect(
      (await first.gql('mutation { clearFlagOverride(name: "gateway.grouping") { name } }', undefined, admin)).errors?.[0].extensions?.code,
    ).toBe('NOT_FOUND');
    expect(await count('flag.override.refused')).toBe(refusedBefore + bad.length);
    expect(await count('access.denied')).toBe(deniedBefore + 1);
    expect(await count('flag.changed')).toBe(changedBefore);
    const denied = (
      await first.gql('query { auditEvents(action: "access.denied", limit: 1) { items { actor targetId details } } }', undefined, admin)
    ).data!.auditEvents.items[0];
    expect(denied).toMatchObject({ actor: 'api-token:test-operator', targetId: 'setFlagOverride', details: { permission: 'flags:write' } });
    expect((await flag(first, 'gateway.inhibition')).source).toBe('UNLEASH');
  });

  it('degrades a provider whose answers are rated wrong, switching AI-driven features off on both replicas, and brings them back when it recovers', async () => {
    const providerId = await createAnalysisProvider(
      first,
      { name: 'llm', type: 'openai', config: { baseUrl: openai.apiUrl, model: 'qwen2.5' }, secret: openai.apiKey },
      admin,
    );
    const route = await first.gql(
      'mutation($i: RouteInput!) { createRoute(input: $i) { id } }',
      { i: { name: 'analysed', isDefault: true, channelIds: [channelId], analysisProviderId: providerId } },
      admin,
    );
    expect(route.errors).toBeUndefined();
    openai.content = JSON.stringify({
      root_cause: 'the cache is cold',
      confidence: 0.9,
      suggested_actions: ['wait'],
      severity_assessment: 'low',
    });
    for (let i = 0; i < 4; i += 1) {
      const payload = validPayload();
      payload.groupKey = `{}:{alertname="Rated${i}"}`;
      payload.alerts = [alert({ labels: { alertname: `Rated${i}`, severity: 'warning' } })];
      const response = await fetch(`${first.baseUrl}/api/v1/alerts/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      expect(response.status).toBe(200);
    }
    const analyses = await waitFor(async () => {
      const items = (await first.gql('query { analyses(limit: 10) { items { id status } } }', undefined, admin)).data!.analyses
        .items as Array<{ id: string; status: string }>;
      return items.length === 4 && items.every((a) => a.status === 'succeeded') ? items : false;
    }, 'four finished analyses');
    const maturity = async (server: TestServer) =>
      (await server.gql('query { aiMaturity { providerName state reason useful wrong accuracy finished } }', undefined, admin)).data!
        .aiMaturity[0];
    await waitFor(async () => (await maturity(first))?.state === 'TRUSTED', 'the provider to be trusted on its first four answers');
    expect((await flag(second, 'routing.smart')).enabled).toBe(true);

    const stateChanges = nextResults<{ aiMaturityChanged: Record<string, string> }>(
      second.wsClient(admin),
      'subscription { aiMaturityChanged { providerName state previousState reason } }',
    );
    await waitFor(
      async () => ((await scrapeMetric(second.baseUrl, 'alertagent_subscription_executions')) ?? 0) >= 1,
      'the subscription running',
    );
    for (const a of analyses)
      await second.gql(
        'mutation($id: ID!) { submitAnalysisFeedback(id: $id, useful: false, note: "wrong service") { id } }',
        { id: a.id },
        operator,
      );
    const [change] = await stateChanges.done;
    expect(change.data!.aiMaturityChanged).toEqual({
      providerName: 'llm',
      state: 'DEGRADED',
      previousState: 'TRUSTED',
      reason: 'accuracy 0 % < 60 % over 4 rated analyses',
    });
    for (const server of [first, second]) {
      await waitFor(
        async () => (await flag(server, 'routing.smart')).source === 'OVERRIDE',
        'routing.smart to switch off on each replica',
        3_000,
        20,
      );
      expect(await flag(server, 'routing.smart')).toMatchObject({
        enabled: false,
        override: {
          actor: 'system:maturity-evaluator',
          reason: 'analysis provider llm is degraded: accuracy 0 % < 60 % over 4 rated analyses',
        },
      });
      expect((await flag(server, 'analysis.enabled')).enabled).toBe(true);
    }
    expect(await maturity(second)).toMatchObject({ state: 'DEGRADED', wrong: 4, accuracy: 0, finished: 4 });
    await waitFor(async () => (await changes('routing.smart')).some((e) => e.actor === 'system:maturity-evaluator'), 'the audited change');
    await waitFor(
      () =>
        notices('routing.smart').some((n) =>
          String(n.payload.commonAnnotations.description).startsWith('system:maturity-evaluator: analysis provider llm is degraded'),
        ),
      'the notice of the switch-off',
    );
    // Each replica's gauge follows at its own next evaluation.
    await waitFor(
      async () =>
        (await scrapeMetric(first.baseUrl, 'alertagent_ai_maturity_state', { provider: 'llm', state: 'degraded' })) === 1 &&
        (await scrapeMetric(second.baseUrl, 'alertagent_ai_maturity_state', { provider: 'llm', state: 'degraded' })) === 1,
      'the state gauge on both replicas',
    );

    expect((await flag(first, 'analysis.remediation')).override).toMatchObject({ actor: 'system:maturity-evaluator' });

    // Three of four useful (75 %): trusted again, so smart routing comes back; remediation wants 90 %.
    for (const a of analyses.slice(0, 3))
      await first.gql('mutation($id: ID!) { submitAnalysisFeedback(id: $id, useful: true) { id } }', { id: a.id }, operator);
    for (const server of [first, second]) {
      await waitFor(
        async () => (await flag(server, 'routing.smart')).source === 'UNLEASH',
        'Unleash to decide routing.smart again on each replica',
        3_000,
        20,
      );
      expect((await flag(server, 'routing.smart')).enabled).toBe(true);
    }
    expect(await maturity(first)).toMatchObject({ state: 'TRUSTED', useful: 3, accuracy: 0.75 });
    // Held off still: 75 % is below remediation's own 90 %.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await flag(second, 'analysis.remediation')).toMatchObject({
      enabled: false,
      source: 'OVERRIDE',
      override: { actor: 'system:maturity-evaluator' },
    });

    await first.gql('mutation($id: ID!) { submitAnalysisFeedback(id: $id, useful: true) { id } }', { id: analyses[3].id }, operator);
    for (const server of [first, second])
      await waitFor(
        async () => (await flag(server, 'analysis.remediation')).source === 'UNLEASH',
        'remediation back on each replica',
        3_000,
        20,
      );
    expect(await maturity(first)).toMatchObject({ state: 'TRUSTED', useful: 4, accuracy: 1 });
    expect((await changes('routing.smart')).filter((e) => e.actor === 'system:flag-overrides').at(-1)!.details.reason).toContain(
      'the override set by system:maturity-evaluator was cleared',
    );
  }, 60_000);

  it('keeps the last values from Unleash while it is down, and follows it again when it is back', async () => {
    await unleash.setEnabled('gateway.inhibition', true);
    await waitFor(
      async () => (await flag(first, 'gateway.inhibition')).enabled && (await flag(second, 'gateway.inhibition')).enabled,
      'both replicas to follow',
    );
    await unleash.stop();
    await new Promise((r) => setTimeout(r, REFRESH_MS * 5));
    expect(await flag(first, 'gateway.inhibition')).toMatchObject({ enabled: true, source: 'UNLEASH' });
    expect(await flag(second, 'gateway.inhibition')).toMatchObject({ enabled: true, source: 'UNLEASH' });
    expect((await flag(second, 'gateway.grouping', { c: 'prod-eu', s: 'critical' })).enabled).toBe(true);

    await unleash.start();
    await unleash.setEnabled('gateway.inhibition', false);
    await waitFor(
      async () => !(await flag(first, 'gateway.inhibition')).enabled && !(await flag(second, 'gateway.inhibition')).enabled,
      'both replicas to follow again',
      15_000,
    );
  }, 120_000);
});
