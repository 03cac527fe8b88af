import { createAnalysisProvider, createChannel } from '../../support/fixtures';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../support/app';
import { alert, validPayload } from '../../support/alerts';
import { TEST_REDIS_URL } from '../../support/env';
import { N8nPeer } from '../../support/peers/n8n-peer';
import { OpenAIPeer } from '../../support/peers/openai-peer';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';

type Execution = {
  id: string;
  actionName: string;
  status: string;
  mode: string;
  dryRun: boolean;
  triggeredBy: string;
  error: string | null;
  n8nExecutionId: string | null;
  output: unknown;
  inputs: Record<string, any>;
};

/**
 * Remediation through n8n (flag analysis.remediation): actions on an allowlist, proposed by the
 * analysis, run per their mode against a protocol-faithful n8n webhook (header auth, execution id).
 */
describe('remediation through n8n workflows', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  let dir: string;
  let server: TestServer;
  let admin: string;
  let operator: string;
  const channel = new WebhookPeer();
  const openai = new OpenAIPeer('sk-remediation-test-key');
  const n8n = new N8nPeer('remediate', 'X-N8N-Auth', 'n8n-remediation-secret');
  let sequence = 0;

  const propose = (remediation: string | null, confidence = 0.9) =>
    (openai.content = JSON.stringify({
      root_cause: 'the pod leaks memory',
      confidence,
      suggested_actions: ['restart it'],
      severity_assessment: 'high',
      remediation,
    }));
  const setFlag = (enabled: boolean) =>
    server.gql(
      'mutation($i: FlagOverrideInput!) { setFlagOverride(input: $i) { enabled } }',
      { i: { name: 'analysis.remediation', enabled, reason: 'remediation test' } },
      admin,
    );
  const createAction = (i: Record<string, unknown>) =>
    server.gql(
      'mutation($i: RemediationActionInput!) { createRemediationAction(input: $i) { id name mode dryRun authValueSet } }',
      { i: { webhookUrl: n8n.webhookUrl, authValue: 'n8n-remediation-secret', ...i } },
      admin,
    );

  async function fire(prefix: string): Promise<string> {
    const alertname = `${prefix}${(sequence += 1)}`;
    const payload = validPayload();
    payload.groupKey = `{}:{alertname="${alertname}"}`;
    payload.alerts = [
      alert({
        labels: { alertname, severity: 'critical', namespace: 'shop', pod: `api-${sequence}` },
        fingerprint: sequence.toString(16).padStart(16, '0'),
      }),
    ];
    const response = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(200);
    return alertname;
  }

  const executionOf = (alertname: string, settled = true) =>
    waitFor(async () => {
      const items = (
        await server.gql(
          'query { automationExecutions(limit: 100) { items { id actionName status mode dryRun triggeredBy error n8nExecutionId output inputs } } }',
          undefined,
          admin,
        )
      ).data!.automationExecutions.items as Execution[];
      const found = items.find((e) => e.inputs.alert.alertname === alertname);
      return found && (!settled || found.status !== 'running') ? found : false;
    }, `the execution for ${alertname}`);
  const analysed = (alertname: string) =>
    waitFor(
      async () =>
        (await server.gql('query($a: String) { analyses(alertname: $a) { items { status } } }', { a: alertname }, admin)).data!.analyses
          .items[0]?.status === 'succeeded',
      'the analysis',
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    await Promise.all([channel.start(), openai.start(), n8n.start()]);
    n8n.answer = { restarted: true };
    dir = mkdtempSync(join(tmpdir(), 'aa-remediation-'));
    writeFileSync(join(dir, 'flags.yml'), 'analysis.enabled: true\nanalysis.remediation: true\n');
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      FLAGS_BOOTSTRAP_FILE: join(dir, 'flags.yml'),
      ANALYSIS_MATURITY_INTERVAL_MS: '300',
    });
    admin = await server.issueToken('admin');
    operator = await server.issueToken('operator', 'bob');
    const madeId = await createChannel(server, { name: 'oncall', type: 'webhook', config: { url: `${channel.baseUrl}/hook` } }, admin);
    const providerId = await createAnalysisProvider(
      server,
      { name: 'llm', type: 'openai', config: { baseUrl: openai.apiUrl, model: 'qwen2.5' }, secret: openai.apiKey },
      admin,
    );
    await server.gql(
      'mutation($i: RouteInput!) { createRoute(input: $i) { id } }',
      {
        i: {
          name: 'all',
          isDefault: true,
          channelIds: [madeId],
          analysisProviderId: providerId,
        },
      },
      admin,
    );
    for (const action of [
      {
        name: 'restart-pod',
        description: 'Deletes the pod so its deployment starts a fresh one',
        matchers: ['alertname=~"Pod.*"'],
        mode: 'automatic',
        cooldownSeconds: 600,
      },
      {
        name: 'flush-cache',
        description: 'Flushes the shop cache',
        matchers: ['alertname=~"Cache.*"'],
        mode: 'approval',
        cooldownSeconds: 0,
      },
      {
        name: 'rotate-logs',
        description: 'Rotates the logs of the namespace',
        matchers: ['alertname=~"Logs.*"'],
        mode: 'suggest',
        cooldownSeconds: 0,
      },
      {
        name: 'scale-up',
        description: 'Adds two replicas',
        matchers: ['alertname=~"Load.*"'],
        mode: 'automatic',
        dryRun: true,
        cooldownSeconds: 0,
      },
    ]) {
      const created = await createAction(action);
      expect(created.errors).toBeUndefined();
      expect(created.data!.createRemediationAction).toMatchObject({ name: action.name, authValueSet: true });
    }
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([channel.stop(), openai.stop(), n8n.stop()]);
    await db?.drop();
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs an automatic action once, with the alert and analysis as inputs, storing the n8n execution id and output', async () => {
    propose('restart-pod');
    const alertname = await fire('PodOom');
    const execution = await executionOf(alertname);
    expect(execution).toMatchObject({
      actionName: 'restart-pod',
      status: 'succeeded',
      mode: 'automatic',
      triggeredBy: 'system:analysis',
      n8nExecutionId: expect.stringMatching(/^\d+$/),
      output: [{ output: { restarted: true } }],
    });
    const call = n8n.executions.at(-1)!;
    expect(call).toMatchObject({
      executionId: execution.id,
      action: 'restart-pod',
      alert: { alertname, labels: { namespace: 'shop' } },
      analysis: { rootCause: 'the pod leaks memory', confidence: 0.9 },
    });
    // The provider was shown the actions allowed for this alert, and only those.
    const user = JSON.parse(JSON.parse(openai.requests.at(-1)!.body).messages[1].content);
    expect(user.actions).toEqual([{ name: 'restart-pod', description: 'Deletes the pod so its deployment starts a fresh one' }]);
  });

  it('proposes once per firing episode: a repeat of the same alert changes nothing', async () => {
    propose('restart-pod');
    const calls = n8n.executions.length;
    const total = async () =>
      (await server.gql('query { automationExecutions { total } }', undefined, admin)).data!.automationExecutions.total as number;
    const before = await total();
    const payload = validPayload();
    payload.groupKey = '{}/{team="shop"}:{alertname="PodOom1"}';
    payload.alerts = [
      alert({
        labels: { alertname: 'PodOom1', severity: 'critical', namespace: 'shop', pod: 'api-1' },
        fingerprint: (1).toString(16).padStart(16, '0'),
      }),
    ];
    await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    await waitFor(
      async () => (await server.gql('query { analyses(alertname: "PodOom1") { total } }', undefined, admin)).data!.analyses.total === 2,
      'the second analysis',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(await total()).toBe(before);
    expect(n8n.executions).toHaveLength(calls);
  });

  it('counts an alert resolved after its remediation ran as a right answer in the provider’s maturity', async () => {
    const payload = validPayload();
    payload.status = 'resolved';
    payload.groupKey = '{}:{alertname="PodOom1"}';
    payload.alerts = [
      {
        ...alert({
          labels: { alertname: 'PodOom1', severity: 'critical', namespace: 'shop', pod: 'api-1' },
          fingerprint: (1).toString(16).padStart(16, '0'),
        }),
        status: 'resolved',
        endsAt: new Date().toISOString(),
      },
    ];
    const response = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(200);
    await waitFor(
      async () =>
        (await server.gql('query { aiMaturity { resolvedAfterAction } }', undefined, admin)).data!.aiMaturity[0]?.resolvedAfterAction === 1,
      'the resolution counted for the provider',
    );
  });

  it('refuses the same action again within its cooldown, calling nothing', async () => {
    propose('restart-pod');
    const calls = n8n.executions.length;
    const execution = await executionOf(await fire('PodOom'));
    expect(execution).toMatchObject({ status: 'cooldown', error: 'action restart-pod ran less than 600 s ago' });
    expect(n8n.executions).toHaveLength(calls);
  });

  it('refuses what is not on the allowlist, does not cover the alert, or lacks confidence, and audits each refusal', async () => {
    const calls = n8n.executions.length;
    propose('rm-rf-everything');
    expect(await executionOf(await fire('LogsFull'))).toMatchObject({
      status: 'refused',
      error: '"rm-rf-everything" is not on the allowlist of remediation actions',
    });
    propose('flush-cache');
    expect(await executionOf(await fire('LogsFull'))).toMatchObject({
      status: 'refused',
      error: 'action flush-cache does not cover this alert (its matchers)',
    });
    propose('rotate-logs', 0.5);
    expect(await executionOf(await fire('LogsFull'))).toMatchObject({
      status: 'refused',
      error: "confidence 0.5 is below the action's 0.8",
    });
    expect(n8n.executions).toHaveLength(calls);
    const audit = (await server.gql('query { auditEvents(action: "remediation.refused", limit: 10) { total } }', undefined, admin)).data!
      .auditEvents.total;
    expect(audit).toBe(3);
  });

  it('records a suggestion without running it, and a dry run without calling n8n', async () => {
    const calls = n8n.executions.length;
    propose('rotate-logs');
    expect(await executionOf(await fire('LogsFull'))).toMatchObject({ status: 'suggested', mode: 'suggest' });
    propose('scale-up');
    const dry = await executionOf(await fire('LoadHigh'));
    expect(dry).toMatchObject({ status: 'dry_run', dryRun: true, output: { wouldCall: 'scale-up' } });
    expect(n8n.executions).toHaveLength(calls);
  });

  it('asks for approval on the alert’s channels; an approver without the role is refused, an approval by link runs it once', async () => {
    propose('flush-cache');
    const alertname = await fire('CacheStale');
    const waiting = await executionOf(alertname);
    expect(waiting.status).toBe('awaiting_approval');
    await waitFor(
      () => channel.accepted.some((m) => m.payload.alerts[0].labels.alertname === alertname && m.payload.alerts[0].annotations.approve),
      'the approval request',
    );
    const request = channel.accepted.find((m) => m.payload.alerts[0].annotations.approve)!.payload.alerts[0].annotations;
    expect(request.remediation).toBe('AlertAgent proposes running flush-cache: Flushes the shop cache');
    const denied = await server.gql('mutation($e: ID!) { approveRemediation(executionId: $e) { status } }', { e: waiting.id }, operator);
    expect(denied.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const trail = (
      await server.gql('query { auditEvents(action: "access.denied", limit: 5) { items { actor targetId details } } }', undefined, admin)
    ).data!.auditEvents.items;
    expect(trail[0]).toMatchObject({
      actor: 'api-token:bob',
      targetId: 'approveRemediation',
      details: { permission: 'remediation:approve' },
    });
    expect((await executionOf(alertname)).status).toBe('awaiting_approval');

    const path = new URL(request.approve).pathname;
    expect(await (await fetch(`${server.baseUrl}${path}`)).text()).toContain('Approve this remediation?');
    const approved = await fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({
      did: expect.stringMatching(/^approved remediation flush-cache: succeeded, as link:channel:/),
    });
    expect(await executionOf(alertname)).toMatchObject({ status: 'succeeded', triggeredBy: expect.stringMatching(/^link:channel:/) });
    expect((await fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { accept: 'application/json' } })).status).toBe(409);
    const again = await server.gql('mutation($e: ID!) { approveRemediation(executionId: $e) { status } }', { e: waiting.id }, admin);
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('stops at once when the flag is switched off: a pending approval is stopped, nothing new is proposed', async () => {
    propose('flush-cache');
    const pending = await executionOf(await fire('CacheStale'));
    expect(pending.status).toBe('awaiting_approval');
    await setFlag(false);
    const calls = n8n.executions.length;
    const approved = await server.gql(
      'mutation($e: ID!) { approveRemediation(executionId: $e) { status error triggeredBy } }',
      { e: pending.id },
      admin,
    );
    expect(approved.data!.approveRemediation).toMatchObject({
      status: 'stopped',
      error: 'remediation is switched off (flag analysis.remediation)',
    });
    propose('restart-pod');
    const alertname = await fire('PodCrash');
    await analysed(alertname);
    await new Promise((r) => setTimeout(r, 300));
    const items = (await server.gql('query { automationExecutions(limit: 100) { items { inputs } } }', undefined, admin)).data!
      .automationExecutions.items as Execution[];
    expect(items.some((e) => e.inputs.alert.alertname === alertname)).toBe(false);
    expect(n8n.executions).toHaveLength(calls);
    await setFlag(true);
  });

  it('refuses bad actions precisely', async () => {
    const bad = async (i: Record<string, unknown>) =>
      (await createAction({ name: 'x', matchers: ['a="b"'], mode: 'automatic', ...i })).errors?.[0];
    expect((await bad({ name: 'Has Spaces' }))?.message).toContain('input.name');
    expect((await bad({ mode: 'yolo' }))?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await bad({ matchers: [] }))?.message).toContain('at least one matcher');
    expect((await bad({ minConfidence: 2 }))?.message).toContain('input.minConfidence');
    expect((await bad({ name: 'restart-pod' }))?.extensions?.code).toBe('CONFLICT');
    expect(
      (
        await server.gql(
          'mutation($i: RemediationActionInput!) { createRemediationAction(input: $i) { id } }',
          { i: { name: 'y', matchers: ['a="b"'], mode: 'suggest', webhookUrl: n8n.webhookUrl } },
          operator,
        )
      ).errors?.[0].extensions?.code,
    ).toBe('FORBIDDEN');
    const listed = (await server.gql('query { remediationActions { name authValueSet } }', undefined, admin)).data!.remediationActions;
    expect(JSON.stringify(listed)).not.toContain('n8n-remediation-secret');
  });
});
