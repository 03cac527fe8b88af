import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alert, validPayload } from '../support/alerts';
import { postGraphQL, startServeProcess, type ServeProcess } from '../support/cli-process';
import { OtlpCollectorPeer, type CollectedSpan } from '../support/peers/otlp-collector-peer';
import { WebhookPeer } from '../support/peers/webhook-peer';
import { waitFor } from '../support/wait';

const ADMIN = 'tracing-admin-token-0123456789abcdef';
const UPSTREAM_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const UPSTREAM_SPAN = '00f067aa0ba902b7';

/** OpenTelemetry: webhook → stages → delivery → peer in one trace, exported over OTLP/HTTP, with traceparent passed on to the peer. */
describe('tracing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aa-tracing-'));
  const collector = new OtlpCollectorPeer();
  const peer = new WebhookPeer();
  let server: ServeProcess;
  let base: string;

  let sent = 0;
  const post = (headers: Record<string, string> = {}) => {
    sent += 1;
    const payload = validPayload();
    payload.groupKey = `{}:{alertname="Traced${sent}"}`;
    payload.alerts = [alert({ labels: { alertname: `Traced${sent}` }, fingerprint: sent.toString(16).padStart(16, '0') })];
    return fetch(`${base}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(payload),
    });
  };
  /** The chain of span names from `span` up to the root of its trace. */
  const ancestry = (span: CollectedSpan): string[] => {
    const chain = [span.name];
    let current = span;
    for (;;) {
      const parent = collector.spans.find((s) => s.traceId === current.traceId && s.spanId === current.parentSpanId);
      if (!parent) return chain;
      chain.push(parent.name);
      current = parent;
    }
  };

  beforeAll(async () => {
    await collector.start();
    await peer.start();
    server = await startServeProcess({
      DATA_DIR: dir,
      AUTH_BOOTSTRAP_TOKEN: ADMIN,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.baseUrl,
      OTEL_SERVICE_NAME: 'alertagent-under-test',
    });
    base = server.url.replace('/graphql', '');
    const channel = await postGraphQL(
      server.url,
      `mutation { createChannel(input: { name: "traced", type: "webhook", config: { url: "${peer.baseUrl}/hook" } }) { id } }`,
      ADMIN,
    );
    await postGraphQL(
      server.url,
      `mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channel.data.createChannel.id}"] }) { id } }`,
      ADMIN,
    );
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("continues the caller's trace through the stages and the send, and hands traceparent to the channel's peer", async () => {
    expect((await post({ traceparent: `00-${UPSTREAM_TRACE}-${UPSTREAM_SPAN}-01` })).status).toBe(200);
    await waitFor(async () => peer.requests.length === 1, 'the message at the peer');
    const traceparent = String(peer.requests[0]!.headers.traceparent ?? '');
    expect(traceparent).toMatch(new RegExp(`^00-${UPSTREAM_TRACE}-[0-9a-f]{16}-01$`));

    await waitFor(
      async () => collector.spans.some((s) => s.traceId === UPSTREAM_TRACE && s.name === 'HTTP POST'),
      'the spans at the collector',
      15_000,
    );
    const trace = collector.spans.filter((s) => s.traceId === UPSTREAM_TRACE);
    const call = trace.find((s) => s.name === 'HTTP POST')!;
    // The peer's parent span is the client span of the call it received.
    expect(traceparent.split('-')[2]).toBe(call.spanId);
    expect(ancestry(call)).toEqual([
      'HTTP POST',
      'channel.send webhook',
      'gateway.delivery',
      'gateway.receipt',
      'POST /api/v1/alerts/alertmanager',
    ]);
    const webhook = trace.find((s) => s.name === 'POST /api/v1/alerts/alertmanager')!;
    expect(webhook.parentSpanId).toBe(UPSTREAM_SPAN);
    expect(webhook.attributes['http.response.status_code']).toBe(200);
    expect(webhook.service).toBe('alertagent-under-test');
    expect(trace.map((s) => s.name)).toEqual(expect.arrayContaining(['gateway.dedupe', 'gateway.routing']));
    expect(trace.find((s) => s.name === 'channel.send webhook')!.attributes).toMatchObject({
      'alertagent.channel': 'traced',
      'alertagent.outcome': 'delivered',
    });
  });

  it('starts a trace of its own for a webhook that brings none, and traces refusals too', async () => {
    expect((await post()).status).toBe(200);
    await waitFor(async () => peer.requests.length === 2, 'the second message');
    const traceId = String(peer.requests[1]!.headers.traceparent).split('-')[1]!;
    expect(traceId).not.toBe(UPSTREAM_TRACE);
    await waitFor(
      async () =>
        collector.spans.some((s) => s.traceId === traceId && s.name === 'POST /api/v1/alerts/alertmanager' && s.parentSpanId === ''),
      'a root webhook span',
      15_000,
    );

    const refused = await fetch(`${base}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(401);
    await waitFor(
      async () =>
        collector.spans.some((s) => s.name === 'POST /api/v1/alerts/alertmanager' && s.attributes['http.response.status_code'] === 401),
      'the refusal traced',
      15_000,
    );
  });
});
