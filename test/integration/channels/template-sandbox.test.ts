import { createRoute } from '../../support/fixtures';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../support/app';
import { validPayload } from '../../support/alerts';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { waitFor } from '../../support/wait';
import { renderDefaultTemplates, renderTemplates } from '../../../src/services/channels/template-engine';
import { alert, alertGroup } from '../../support/alerts';

const CREATE = 'mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateChannelInput!) { updateChannel(id: $id, input: $input) { id } }';
const PLANTED = `planted-secret-${process.pid}`;

describe('channel templates in the sandbox', () => {
  let db: TestDatabase;
  let server: TestServer;
  let operator: string;
  const peer = new WebhookPeer();
  // A file in the server's working directory, where the quick start keeps data/initial-admin-token.
  const plantedFile = join(process.cwd(), `.template-probe-${process.pid}`);

  const channelInput = (name: string, templates: Record<string, string>) => ({
    name,
    type: 'webhook',
    config: { url: `${peer.baseUrl}/${name}`, bodyFormat: 'rendered' },
    templates,
  });

  beforeAll(async () => {
    writeFileSync(plantedFile, PLANTED);
    db = await createTestDatabase();
    await peer.start();
    // Shorter than Liquid's own render limit, so the sandbox's hard stop is what ends a stalled render.
    server = await startTestServer({ DATABASE_URL: db.url, TEMPLATE_RENDER_TIMEOUT_MS: '300' });
    operator = await server.issueToken('operator');
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
    rmSync(plantedFile, { force: true });
  });

  it.each([
    ['title', `{% include "${`.template-probe-${process.pid}`}" %}`],
    ['body', `{% render "${join(process.cwd(), `.template-probe-${process.pid}`)}" %}`],
    ['body', '{% include "data/initial-admin-token" %}'],
    ['body', `{%- liquid\n  include "data/encryption.key"\n-%}`],
    ['title', '{% layout "data/encryption.key" %}x'],
  ])('refuses a %s template that reads a file: %s', async (field, source) => {
    const res = await server.gql(
      CREATE,
      { input: channelInput(`reader-${Math.random().toString(36).slice(2, 8)}`, { [field]: source }) },
      operator,
    );
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(new RegExp(`^input\\.templates\\.${field}: template does not parse: .*cannot read files`));
  });

  it('cannot read a file even when a template reaches the engine without the save-time check', async () => {
    const message = alertGroup([alert()]);
    await expect(renderTemplates({ title: 't', body: `{% include "${`.template-probe-${process.pid}`}" %}` }, message)).rejects.toThrow(
      /cannot read files/,
    );
    // Lookups in the in-memory store find nothing, whatever the path.
    await expect(renderTemplates({ title: 't', body: '{{ "x" }}' }, message)).resolves.toMatchObject({ body: 'x' });
  });

  it("holds a channel's own templates to the render-time limit, and never AlertAgent's own defaults (a starved CPU must not cost a message)", async () => {
    const message = alertGroup([alert()]);
    const slow = { title: 't', body: '{% for i in (1..600000) %}{% endfor %}done' };
    await expect(renderTemplates(slow, message)).rejects.toThrow(/template render limit exceeded/);
    await expect(renderDefaultTemplates(slow, message)).resolves.toMatchObject({ body: 'done' });
  });

  it('refuses a template that overruns its time limit on a storm of sample alerts, naming the sample', async () => {
    const cubic = '{% for a in alerts %}{% for b in alerts %}{% for c in alerts %}{{ c.fingerprint }}{% endfor %}{% endfor %}{% endfor %}';
    const res = await server.gql(CREATE, { input: channelInput('cubic', { body: cubic }) }, operator);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/^input\.templates\.body: template fails on sample alerts \(a storm of 200 alerts\)/);
  });

  it('refuses the same on update and keeps the old templates', async () => {
    const created = await server.gql(CREATE, { input: channelInput('updatable', { title: 'ok {{ alertname }}' }) }, operator);
    const id = created.data!.createChannel.id;
    const res = await server.gql(UPDATE, { id, input: { templates: { title: '{% include "x" %}' } } }, operator);
    expect(res.errors?.[0].message).toMatch(/^input\.templates\.title: template does not parse/);
    const read = await server.gql('query($id: ID!) { channel(id: $id) { templates { title } } }', { id }, operator);
    expect(read.data!.channel.templates.title).toBe('ok {{ alertname }}');
  });

  it('sends with the default templates when a saved template stalls on a real message, and the webhook is answered meanwhile', async () => {
    // Passes every sample (at most 200 alerts), stalls on a bigger group.
    const stall =
      '{% if count > 250 %}{% for i in (1..10000) %}{% for j in (1..10000) %}{{ j }}{% endfor %}{% endfor %}{% endif %}custom {{ alertname }}';
    const created = await server.gql(CREATE, { input: channelInput('stalling', { title: stall }) }, operator);
    expect(created.errors).toBeUndefined();
    await createRoute(
      server,
      { name: 'to-stalling', matchers: ['alertname="Stall"'], channelIds: [created.data!.createChannel.id] },
      operator,
    );
    const url = `${server.baseUrl}/api/v1/alerts/alertmanager`;
    const post = (body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const storm = validPayload();
    storm.alerts = Array.from({ length: 300 }, (_, i) => ({
      ...storm.alerts[0],
      labels: { alertname: 'Stall', instance: `n-${i}` },
      fingerprint: `f${i}`,
    }));
    storm.commonLabels = { alertname: 'Stall' };
    expect((await post(storm)).status).toBe(200);
    // While the stalled render is in its thread, another webhook is answered by the event loop.
    const other = validPayload();
    other.alerts[0].labels = { alertname: 'Elsewhere' };
    const answered = await post(other);
    expect(answered.status).toBe(200);
    expect(peer.accepted.some((a) => a.payload.alerts?.length === 300)).toBe(false);

    await waitFor(
      () => peer.accepted.some((a) => Array.isArray(a.payload.alerts) && a.payload.alerts.length === 300),
      'the storm at the peer',
      10_000,
    );
    const sent = peer.accepted.find((a) => a.payload.alerts?.length === 300)!;
    expect(sent.payload.title).toMatch(/^\[FIRING:300\] Stall/);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/alertagent_template_fallbacks_total\{channel="stalling",reason="timeout"[^}]*\} 1/);
  });
});
