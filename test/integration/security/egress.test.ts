import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import selfsigned from 'selfsigned';
import { startTestServer, type TestServer } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { EgressPolicy } from '../../../src/services/security/egress-policy';

const CREATE = 'mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }';
const TEST = 'mutation($id: ID!) { testChannel(id: $id) { status lastError attemptLog { retryable error } } }';

describe('the egress policy', () => {
  it('always refuses link-local and metadata addresses, loopback in production, and lets an allow list through', () => {
    const production = new EgressPolicy({ denyLoopback: true, denyPrivate: false, allow: [], deny: [] });
    expect(production.urlDenial('http://169.254.169.254/latest/meta-data/')).toBe('169.254.169.254 is a cloud metadata address');
    expect(production.urlDenial('http://[::ffff:169.254.169.254]/')).toBe('169.254.169.254 is a cloud metadata address');
    expect(production.urlDenial('http://[fe80::1]/')).toBe('fe80::1 is link-local');
    expect(production.urlDenial('http://metadata.google.internal/computeMetadata/v1/')).toBe(
      'metadata.google.internal is a cloud metadata service',
    );
    expect(production.urlDenial('http://127.0.0.1:9093')).toMatch(/^127\.0\.0\.1 is loopback/);
    expect(production.urlDenial('http://[::1]:9093')).toMatch(/^::1 is loopback/);
    expect(production.urlDenial('http://0.0.0.0:9093')).toBe('0.0.0.0 is not a unicast address');
    expect(production.urlDenial('https://oapi.dingtalk.com/robot/send')).toBeNull();
    expect(production.urlDenial('http://10.1.2.3:9093')).toBeNull();

    const strict = new EgressPolicy({
      denyLoopback: true,
      denyPrivate: true,
      allow: ['10.20.0.0/16', '*.internal.example'],
      deny: ['203.0.113.0/24'],
    });
    expect(strict.urlDenial('http://10.1.2.3:9093')).toBe('10.1.2.3 is a private address');
    expect(strict.urlDenial('http://10.20.5.5:9093')).toBeNull();
    expect(strict.urlDenial('http://203.0.113.9/')).toBe('203.0.113.9 is in EGRESS_DENY');
    expect(strict.urlDenial('http://am.internal.example:9093')).toBeNull();
  });

  it('checks the addresses a name resolves to when connecting (so DNS cannot lead elsewhere)', async () => {
    const policy = new EgressPolicy({ denyLoopback: true, denyPrivate: false, allow: [], deny: [] });
    await expect(policy.resolve('localhost')).rejects.toMatchObject({
      code: 'EEGRESS',
      message: expect.stringMatching(/^egress policy refused localhost: (127\.0\.0\.1|::1) is loopback/),
    });
    await expect(
      new EgressPolicy({ denyLoopback: true, denyPrivate: false, allow: ['localhost'], deny: [] }).resolve('localhost'),
    ).resolves.toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  describe('in production mode', () => {
    let db: TestDatabase;
    let server: TestServer;
    let operator: string;
    const peer = new WebhookPeer();

    beforeAll(async () => {
      db = await createTestDatabase();
      await peer.start();
      server = await startTestServer({ DATABASE_URL: db.url, EGRESS_LOOPBACK: 'auto' });
      operator = await server.issueToken('operator');
    });

    afterAll(async () => {
      await server?.stop();
      await peer.stop();
      await db?.drop();
    });

    it('refuses to save a channel, provider or cluster aimed at a refused address, naming the field', async () => {
      const channel = await server.gql(
        CREATE,
        { i: { name: 'imds', type: 'webhook', config: { url: 'http://169.254.169.254/latest/meta-data/iam/' } } },
        operator,
      );
      expect(channel.errors?.[0]).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT' },
        message: 'input.config.url: the egress policy refuses this address: 169.254.169.254 is a cloud metadata address',
      });
      const admin = await server.issueToken('admin');
      const cluster = await server.gql(
        'mutation($i: CreateClusterInput!) { createCluster(input: $i) { webhookToken } }',
        { i: { name: 'local', alertmanagerUrls: ['http://127.0.0.1:9093'] } },
        admin,
      );
      expect(cluster.errors?.[0].message).toMatch(
        /^input\.alertmanagerUrls\.0: the egress policy refuses this address: 127\.0\.0\.1 is loopback/,
      );
      const provider = await server.gql(
        'mutation($i: AnalysisProviderInput!) { createAnalysisProvider(input: $i) { id } }',
        { i: { name: 'p', type: 'openai', config: { baseUrl: 'http://[fd00:ec2::254]/v1', model: 'm' } } },
        admin,
      );
      expect(provider.errors?.[0].message).toBe(
        'input.config.baseUrl: the egress policy refuses this address: fd00:ec2::254 is a cloud metadata address',
      );
    });

    it('refuses at connect time a name that resolves to a refused address, and does not retry it', async () => {
      const made = await server.gql(
        CREATE,
        { i: { name: 'by-name', type: 'webhook', config: { url: `http://localhost:${peer.port}/h` } } },
        operator,
      );
      expect(made.errors).toBeUndefined();
      const tested = await server.gql(TEST, { id: made.data!.createChannel.id }, operator);
      expect(tested.data!.testChannel).toMatchObject({
        status: 'FAILED',
        attemptLog: [{ retryable: false, error: expect.stringMatching(/^egress policy refused localhost: .* is loopback/) }],
      });
      expect(peer.requests).toHaveLength(0);
    });
  });
});

describe('TLS per target', () => {
  let db: TestDatabase;
  let server: TestServer;
  let operator: string;
  let admin: string;
  let https: Server;
  let mtls: Server;
  let legacy: Server;
  let ca: string;
  let client: { cert: string; key: string };
  let ports: { https: number; mtls: number; legacy: number };

  const start = (srv: Server) =>
    new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as AddressInfo).port)));
  const answer = (_req: unknown, res: { end(body: string): void }) => res.end('ok');

  beforeAll(async () => {
    const altNames = [{ name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: '127.0.0.1' }] }];
    const serverPems = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048, extensions: altNames });
    const clientPems = await selfsigned.generate([{ name: 'commonName', value: 'alertagent' }], { keySize: 2048 });
    ca = serverPems.cert;
    client = { cert: clientPems.cert, key: clientPems.private };
    https = createServer({ key: serverPems.private, cert: serverPems.cert }, answer);
    mtls = createServer(
      { key: serverPems.private, cert: serverPems.cert, requestCert: true, rejectUnauthorized: true, ca: clientPems.cert },
      answer,
    );
    legacy = createServer({ key: serverPems.private, cert: serverPems.cert, maxVersion: 'TLSv1.2' }, answer);
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
    operator = await server.issueToken('operator');
    admin = await server.issueToken('admin');
    ports = { https: await start(https), mtls: await start(mtls), legacy: await start(legacy) };
  });

  afterAll(async () => {
    await server?.stop();
    for (const srv of [https, mtls, legacy]) srv?.close();
    await db?.drop();
  });

  const channel = async (name: string, url: string, extra: Record<string, unknown> = {}) => {
    const made = await server.gql(CREATE, { i: { name, type: 'webhook', config: { url, ...extra } } }, operator);
    expect(made.errors).toBeUndefined();
    return made.data!.createChannel.id as string;
  };
  const test = async (id: string) => (await server.gql(TEST, { id }, operator)).data!.testChannel;

  it('trusts the CA a channel names, and nothing else unless told', async () => {
    const url = `https://127.0.0.1:${ports.https}/h`;
    expect(await test(await channel('no-ca', url))).toMatchObject({
      status: 'FAILED',
      lastError: expect.stringMatching(/self[- ]signed|certificate/i),
    });
    expect(await test(await channel('with-ca', url, { tls: { caPem: ca } }))).toMatchObject({ status: 'DELIVERED' });
  });

  it('presents a client certificate whose key is sealed and never shown', async () => {
    const url = `https://127.0.0.1:${ports.mtls}/h`;
    expect(await test(await channel('mtls-none', url, { tls: { caPem: ca } }))).toMatchObject({ status: 'FAILED' });
    const id = await channel('mtls', url, { tls: { caPem: ca, certPem: client.cert }, tlsKey: client.key });
    expect(await test(id)).toMatchObject({ status: 'DELIVERED' });
    const shown = await server.gql('query($id: ID!) { channel(id: $id) { config secretFieldsSet } }', { id }, operator);
    expect(shown.data!.channel.config.tlsKey).toBe('••••••');
    expect(JSON.stringify(shown)).not.toContain('PRIVATE KEY');
    const halves = await server.gql(
      CREATE,
      { i: { name: 'half', type: 'webhook', config: { url, tls: { certPem: client.cert } } } },
      operator,
    );
    expect(halves.errors?.[0].message).toMatch(/tlsKey: a client certificate \(tls\.certPem\) needs its key/);
  });

  it('holds to a minimum TLS version', async () => {
    const url = `https://127.0.0.1:${ports.legacy}/h`;
    expect(await test(await channel('tls13', url, { tls: { caPem: ca, minVersion: 'TLSv1.3' } }))).toMatchObject({ status: 'FAILED' });
    expect(await test(await channel('tls12', url, { tls: { caPem: ca, minVersion: 'TLSv1.2' } }))).toMatchObject({ status: 'DELIVERED' });
  });

  it('skips verification only when told outright, and audits it', async () => {
    const id = await channel('insecure', `https://127.0.0.1:${ports.https}/h`, { tls: { insecureSkipVerify: true } });
    expect(await test(id)).toMatchObject({ status: 'DELIVERED' });
    const audit = await server.gql(
      '{ auditEvents(action: "tls.verification-disabled") { items { targetType targetId actor } } }',
      undefined,
      admin,
    );
    expect(audit.data!.auditEvents.items).toEqual([{ targetType: 'channel', targetId: id, actor: 'api-token:test-operator' }]);
  });
});
