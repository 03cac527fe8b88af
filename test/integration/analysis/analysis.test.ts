import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextResults, startTestServer, type TestServer } from '../../support/app';
import { alert, validPayload } from '../../support/alerts';
import { TEST_REDIS_URL } from '../../support/env';
import { DifyPeer } from '../../support/peers/dify-peer';
import { N8nPeer } from '../../support/peers/n8n-peer';
import { OpenAIPeer } from '../../support/peers/openai-peer';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';

const GOOD = {
  root_cause: 'disk on pg-2 is full',
  confidence: 0.82,
  suggested_actions: ['expand the volume', 'prune WAL'],
  severity_assessment: 'high',
};
const ANALYSIS_FIELDS =
  'id status attempts error parsed parseError rootCause confidence suggestedActions severityAssessment rawAnswer model tokens executionId conversationId durationMs startedAt finishedAt';

describe('asynchronous analysis of delivered alerts', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  let server: TestServer;
  let admin: string;
  let dir: string;
  const channelPeer = new WebhookPeer('analysis-test-secret-0123');
  const dify = new DifyPeer('app-dify-test-key');
  const n8n = new N8nPeer('alert-analysis', 'X-N8N-Auth', 'n8n-shared-secret');
  const openai = new OpenAIPeer('sk-test-openai-key-0123456789');
  const providers: Record<string, string> = {};
  let channelId: string;
  let sequence = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    await Promise.all([channelPeer.start(), dify.start(), n8n.start(), openai.start()]);
    dir = mkdtempSync(join(tmpdir(), 'aa-analysis-'));
    writeFileSync(join(dir, 'flags.yml'), 'analysis.enabled: true\n');
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      FLAGS_BOOTSTRAP_FILE: join(dir, 'flags.yml'),
      ANALYSIS_MAX_ATTEMPTS: '3',
      ANALYSIS_BACKOFF_BASE_MS: '50',
      ANALYSIS_BACKOFF_MAX_MS: '200',
    });
    admin = await server.issueToken('admin');
    const channel = await server.gql(
      'mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }',
      {
        i: { name: 'oncall', type: 'webhook', config: { url: `${channelPeer.baseUrl}/hook`, signingSecret: 'analysis-test-secret-0123' } },
      },
      admin,
    );
    channelId = channel.data!.createChannel.id;
    const create = async (name: string, type: string, config: Record<string, unknown>, secret: string, timeoutMs = 5_000) => {
      const made = await server.gql(
        'mutation($i: AnalysisProviderInput!) { createAnalysisProvider(input: $i) { id secretSet } }',
        { i: { name, type, config, secret, timeoutMs } },
        admin,
      );
      expect(made.errors).toBeUndefined();
      providers[name] = made.data!.createAnalysisProvider.id;
    };
    await create('dify-workflow-stream', 'dify', { baseUrl: dify.apiUrl, app: 'workflow', responseMode: 'streaming' }, dify.apiKey);
    await create('dify-workflow-blocking', 'dify', { baseUrl: dify.apiUrl, app: 'workflow', responseMode: 'blocking' }, dify.apiKey);
    await create('dify-chat-stream', 'dify', { baseUrl: dify.apiUrl, app: 'chat', responseMode: 'streaming' }, dify.apiKey);
    await create('dify-chat-blocking', 'dify', { baseUrl: dify.apiUrl, app: 'chat', responseMode: 'blocking' }, dify.apiKey);
    await create('n8n-respond', 'n8n', { webhookUrl: n8n.webhookUrl, authHeaderName: 'X-N8N-Auth', mode: 'respond' }, 'n8n-shared-secret');
    await create(
      'n8n-callback',
      'n8n',
      { webhookUrl: n8n.webhookUrl, authHeaderName: 'X-N8N-Auth', mode: 'callback' },
      'n8n-shared-secret',
    );
    await create('openai', 'openai', { baseUrl: openai.apiUrl, model: 'llama3.1:8b' }, openai.apiKey);
    await create('openai-slow', 'openai', { baseUrl: openai.apiUrl, model: 'llama3.1:8b' }, openai.apiKey, 300);
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([channelPeer.stop(), dify.stop(), n8n.stop(), openai.stop()]);
    await db?.drop();
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Routes alerts named `alertname` to the channel with analysis by `provider`, then sends one. */
  async function sendAnalysed(provider: string): Promise<{ alertname: string; recordId: string }> {
    const alertname = `Analysed${(sequence += 1)}`;
    const route = await server.gql(
      'mutation($i: RouteInput!) { createRoute(input: $i) { id analysisProviderId } }',
      {
        i: {
          name: `route-${alertname}`,
          matchers: [`alertname="${alertname}"`],
          channelIds: [channelId],
          analysisProviderId: providers[provider],
        },
      },
      admin,
    );
    expect(route.errors).toBeUndefined();
    return { alertname, recordId: await sendAlert(alertname, 'pg-2') };
  }

  /** One more alert of a routed alert name; resolves to its record once delivered. */
  async function sendAlert(alertname: string, instance: string): Promise<string> {
    const payload = validPayload();
    payload.groupKey = `{}:{alertname="${alertname}", instance="${instance}"}`;
    payload.alerts = [
      alert({
        labels: { alertname, severity: 'critical', instance, cluster: 'eu-1' },
        annotations: { summary: 'disk full', runbook: 'https://user:hunter2@wiki.example.com/disk' },
        generatorURL: 'http://prometheus:9090/graph?g0.expr=disk',
      }),
    ];
    const response = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(200);
    return waitFor(
      async () => {
        const records = await server.gql(
          'query($a: String) { alertRecords(alertname: $a) { items { id state labels } } }',
          { a: alertname },
          admin,
        );
        const item = records.data!.alertRecords.items.find((r: { labels: Record<string, string> }) => r.labels.instance === instance);
        return item?.state === 'delivered' ? (item.id as string) : false;
      },
      'the delivered record',
      10_000,
    );
  }

  const analysisOf = async (recordId: string) =>
    (await server.gql(`query($r: ID!) { analyses(recordId: $r) { items { ${ANALYSIS_FIELDS} } } }`, { r: recordId }, admin)).data!.analyses
      .items[0];
  const finished = (recordId: string, timeoutMs = 10_000) =>
    waitFor(
      async () => {
        const a = await analysisOf(recordId);
        return a && ['succeeded', 'failed', 'timed_out'].includes(a.status) ? a : false;
      },
      'a finished analysis',
      timeoutMs,
    );

  it('analyses a delivered alert through a Dify workflow (streaming) and streams progress and the result live', async () => {
    dify.behaviour = { kind: 'answer', text: `Here is my analysis:\n\`\`\`json\n${JSON.stringify(GOOD)}\n\`\`\`` };
    const client = server.wsClient(admin);
    const alertname = `Analysed${sequence + 1}`;
    const events = nextResults<{
      analysisResults: { status: string; rootCause: string | null; confidence: number | null; providerName: string };
    }>(client, `subscription { analysisResults(alertname: "${alertname}") { status rootCause confidence providerName } }`, 3, 15_000);
    await new Promise((r) => setTimeout(r, 200));
    const { recordId } = await sendAnalysed('dify-workflow-stream');
    const seen = (await events.done).map((e) => e.data!.analysisResults);
    expect(seen.map((e) => e.status)).toEqual(['queued', 'running', 'succeeded']);
    expect(seen[2]).toEqual({ status: 'succeeded', rootCause: GOOD.root_cause, confidence: 0.82, providerName: 'dify-workflow-stream' });

    const stored = await analysisOf(recordId);
    expect(stored).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      parsed: true,
      rootCause: GOOD.root_cause,
      confidence: 0.82,
      suggestedActions: GOOD.suggested_actions,
      severityAssessment: 'high',
      tokens: 321,
      executionId: expect.any(String),
    });
    expect(stored.rawAnswer).toContain('Here is my analysis');
    // What Dify was sent: the alert context, scrubbed, with the instructions.
    const sent = JSON.parse(dify.calls.at(-1)!.body.inputs.alert_context);
    expect(sent.alert).toMatchObject({ alertname, cluster: 'eu-1', generatorURL: 'http://prometheus:9090/graph?g0.expr=disk' });
    expect(sent.alert.annotations.runbook).toBe('https://[redacted]@wiki.example.com/disk');
    // The record carries its analyses.
    const record = await server.gql(
      'query($a: String) { alertRecords(alertname: $a) { items { analyses { status rootCause } } } }',
      { a: alertname },
      admin,
    );
    expect(record.data!.alertRecords.items[0].analyses).toEqual([{ status: 'succeeded', rootCause: GOOD.root_cause }]);
  });

  it('speaks Dify blocking workflow, blocking and streaming chat, continuing the alert’s conversation', async () => {
    dify.behaviour = { kind: 'answer', text: JSON.stringify(GOOD) };
    for (const provider of ['dify-workflow-blocking', 'dify-chat-blocking', 'dify-chat-stream']) {
      const { recordId } = await sendAnalysed(provider);
      expect(await finished(recordId)).toMatchObject({ status: 'succeeded', parsed: true, confidence: 0.82, tokens: 321 });
    }
    const chat = await finished((await sendAnalysed('dify-chat-blocking')).recordId);
    expect(chat.conversationId).toEqual(expect.any(String));
    // A manual re-run of the same alert continues its conversation.
    const rerun = await server.gql(
      'mutation($r: ID!, $p: ID!) { analyzeAlert(recordId: $r, providerId: $p) { status } }',
      {
        r: (await server.gql(`{ analyses(limit: 1) { items { recordId } } }`, {}, admin)).data!.analyses.items[0].recordId,
        p: providers['dify-chat-blocking'],
      },
      admin,
    );
    expect(rerun.data!.analyzeAlert.status).toBe('queued');
    await waitFor(() => dify.calls.at(-1)!.body.conversation_id === chat.conversationId, 'a call continuing the conversation', 10_000);
  });

  it('triggers n8n (respond mode and callback mode); a repeated callback changes nothing', async () => {
    n8n.answer = GOOD;
    n8n.mode = 'respond';
    const respond = await finished((await sendAnalysed('n8n-respond')).recordId);
    expect(respond).toMatchObject({
      status: 'succeeded',
      parsed: true,
      rootCause: GOOD.root_cause,
      executionId: expect.stringMatching(/^\d+$/),
    });
    expect(n8n.executions.at(-1)).toMatchObject({
      analysisId: respond.id,
      context: { alert: { severity: 'critical' } },
      callbackUrl: expect.stringContaining('/api/v1/analysis/callback/'),
    });

    n8n.mode = 'callback';
    const callback = await finished((await sendAnalysed('n8n-callback')).recordId);
    expect(callback).toMatchObject({ status: 'succeeded', parsed: true, rootCause: GOOD.root_cause, confidence: 0.82 });
    await waitFor(() => n8n.callbacks.length >= 2, 'both callbacks', 5_000);
    expect(n8n.callbacks.map((c) => [c.status, JSON.parse(c.body)])).toEqual([
      [200, { recorded: true, status: 'succeeded' }],
      [200, { recorded: false, status: 'succeeded' }],
    ]);
    // A callback with a wrong token is refused.
    const forged = await fetch(`${server.baseUrl}/api/v1/analysis/callback/${callback.id}`, {
      method: 'POST',
      headers: { authorization: 'Bearer aac_forged', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(forged.status).toBe(401);
  });

  it('uses an OpenAI-compatible endpoint directly', async () => {
    openai.content = JSON.stringify(GOOD);
    const result = await finished((await sendAnalysed('openai')).recordId);
    expect(result).toMatchObject({
      status: 'succeeded',
      parsed: true,
      model: 'llama3.1:8b',
      tokens: 460,
      executionId: expect.stringMatching(/^chatcmpl-/),
    });
  });

  it('retries a failing provider with backoff, then marks the analysis failed with the reason, leaving the delivery alone', async () => {
    openai.failWith = { status: 503, message: 'model is loading' };
    try {
      const before = openai.requests.length;
      const { recordId, alertname } = await sendAnalysed('openai');
      const failed = await finished(recordId);
      expect(failed).toMatchObject({ status: 'failed', attempts: 3, parsed: null });
      expect(failed.error).toBe('gave up after 3 attempts: model endpoint answered HTTP 503: model is loading');
      const tries = openai.requests.slice(before).map((r) => r.receivedAt);
      expect(tries).toHaveLength(3);
      expect(tries[2] - tries[1]).toBeGreaterThanOrEqual(tries[1] - tries[0] - 30);
      const record = await server.gql(
        'query($a: String) { alertRecords(alertname: $a) { items { state deliveryIds } } }',
        { a: alertname },
        admin,
      );
      expect(record.data!.alertRecords.items[0]).toMatchObject({ state: 'delivered', deliveryIds: [expect.any(String)] });
    } finally {
      openai.failWith = null;
    }
  });

  it('does not retry what cannot pass (Dify provider and completion errors, an n8n webhook that is not registered)', async () => {
    dify.behaviour = { kind: 'error', status: 400, code: 'provider_not_initialize', message: 'No valid model provider credentials found.' };
    const difyFailed = await finished((await sendAnalysed('dify-workflow-blocking')).recordId);
    expect(difyFailed).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'Dify provider_not_initialize: No valid model provider credentials found.',
    });

    dify.behaviour = { kind: 'stream-error', code: 'completion_request_error', message: 'the model refused the prompt' };
    const streamFailed = await finished((await sendAnalysed('dify-workflow-stream')).recordId);
    expect(streamFailed).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'Dify completion_request_error: the model refused the prompt',
    });

    n8n.active = false;
    try {
      const inactive = await finished((await sendAnalysed('n8n-respond')).recordId);
      expect(inactive.status).toBe('failed');
      expect(inactive.attempts).toBe(1);
      expect(inactive.error).toContain('n8n: the webhook is not registered (is the workflow active?)');
    } finally {
      n8n.active = true;
    }
  });

  it('times out a hanging provider, retries, and ends timed out while the alert was delivered at once', async () => {
    openai.hang = true;
    try {
      const { recordId } = await sendAnalysed('openai-slow');
      // Delivered already (sendAnalysed waited for it), while the analysis still runs.
      const pending = await waitFor(async () => (await analysisOf(recordId)) ?? false, 'the queued analysis', 5_000);
      expect(pending.status).toMatch(/queued|running/);
      const timedOut = await finished(recordId);
      expect(timedOut).toMatchObject({ status: 'timed_out', attempts: 3, error: 'gave up after 3 attempts: no answer within 300 ms' });
    } finally {
      openai.hang = false;
    }
  });

  it('keeps an answer without a valid result raw, marked unparsed', async () => {
    openai.content = 'The disk is probably full. I am fairly sure (confidence 0.8).';
    const prose = await finished((await sendAnalysed('openai')).recordId);
    expect(prose).toMatchObject({
      status: 'succeeded',
      parsed: false,
      rootCause: null,
      parseError: 'no JSON object found in the answer',
      rawAnswer: openai.content,
    });
    openai.content = JSON.stringify({ ...GOOD, confidence: 1.7 });
    const outOfRange = await finished((await sendAnalysed('openai')).recordId);
    expect(outOfRange).toMatchObject({ status: 'succeeded', parsed: false, confidence: null });
    expect(outOfRange.parseError).toContain('confidence: must be from 0 to 1');
  });

  it('stores feedback, feeds it into later contexts, and reports trends', async () => {
    openai.content = JSON.stringify(GOOD);
    const { recordId: firstRecord } = await sendAnalysed('openai');
    const first = await finished(firstRecord);
    const operator = await server.issueToken('operator', 'sre-on-call');
    const feedback = await server.gql(
      'mutation($id: ID!) { submitAnalysisFeedback(id: $id, useful: false, note: "it was the backup job, not WAL") { feedbackUseful feedbackNote feedbackBy } }',
      { id: first.id },
      operator,
    );
    expect(feedback.data!.submitAnalysisFeedback).toEqual({
      feedbackUseful: false,
      feedbackNote: 'it was the backup job, not WAL',
      feedbackBy: 'sre-on-call',
    });
    const viewer = await server.issueToken('viewer');
    expect(
      (
        await server.gql(
          'mutation($id: ID!) { submitAnalysisFeedback(id: $id, useful: true, note: null) { id } }',
          { id: first.id },
          viewer,
        )
      ).errors![0].extensions!.code,
    ).toBe('FORBIDDEN');

    // The next alert of the same name carries the earlier analysis and its feedback in its context.
    const alertname = (await server.gql('query($id: ID!) { analysis(id: $id) { alertname recordId } }', { id: first.id }, admin)).data!
      .analysis;
    await finished(await sendAlert(alertname.alertname, 'pg-3'));
    await waitFor(
      async () => {
        const last = openai.requests.at(-1)!;
        const context = JSON.parse(JSON.parse(last.body).messages[1].content);
        return context.previousAnalyses.some(
          (p: { feedback: string; note: string }) => p.feedback === 'not useful' && p.note === 'it was the backup job, not WAL',
        );
      },
      'the feedback in a later context',
      10_000,
    );

    const trends = (
      await server.gql(
        'query($a: String) { analysisTrends(alertname: $a) { alertname day analyses meanConfidence useful notUseful feedbackScore } }',
        { a: alertname.alertname },
        admin,
      )
    ).data!.analysisTrends;
    expect(trends).toEqual([
      {
        alertname: alertname.alertname,
        day: new Date().toISOString().slice(0, 10),
        analyses: expect.any(Number),
        meanConfidence: 0.82,
        useful: 0,
        notUseful: 1,
        feedbackScore: 0,
      },
    ]);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/alertagent_analysis_feedback_total\{provider="openai",verdict="not_useful"[^}]*\} 1/);
  });

  it('answers bad provider settings and unknown ids precisely', async () => {
    const bad = await server.gql(
      'mutation($i: AnalysisProviderInput!) { createAnalysisProvider(input: $i) { id } }',
      { i: { name: 'bad', type: 'dify', config: { baseUrl: 'not a url', app: 'agent' } } },
      admin,
    );
    expect(bad.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(bad.errors![0].message).toContain('input.config.baseUrl');
    expect(bad.errors![0].message).toContain('input.config.app');
    const unknownType = await server.gql(
      'mutation($i: AnalysisProviderInput!) { createAnalysisProvider(input: $i) { id } }',
      { i: { name: 'bad2', type: 'bard', config: {} } },
      admin,
    );
    expect(unknownType.errors![0].message).toContain('input.type');
    const route = await server.gql(
      'mutation($i: RouteInput!) { createRoute(input: $i) { id } }',
      { i: { name: 'ghost', channelIds: [channelId], analysisProviderId: '00000000-0000-4000-8000-000000000000' } },
      admin,
    );
    expect(route.errors![0].message).toContain('unknown analysis provider');
    const inUse = await server.gql('mutation($id: ID!) { deleteAnalysisProvider(id: $id) }', { id: providers.openai }, admin);
    expect(inUse.errors![0].extensions!.code).toBe('CONFLICT');
    const listed = JSON.stringify((await server.gql('{ analysisProviders { items { name config secretSet } } }', {}, admin)).data);
    expect(listed).not.toContain(openai.apiKey);
    expect(listed).not.toContain('n8n-shared-secret');
  });
});
