import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nextResults, startTestServer, type TestServer } from '../support/app';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { startSidecarProcess, type SidecarProcess } from '../support/cli-process';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { waitFor } from '../support/wait';

const SYNC =
  'query($id: ID!) { cluster(id: $id) { desiredConfig { hash content } sync { desiredHash instances { instance appliedHash inSync lastError lastErrorAt } } } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateClusterInput!) { updateCluster(id: $id, input: $input) { id } }';
const POLL_SECONDS = 1;

describe('config sync through the sidecar to a real Alertmanager', () => {
  let db: TestDatabase;
  let server: TestServer;
  let alertmanager: RunningAlertmanager;
  let sidecar: SidecarProcess;
  let admin: string;
  let clusterId: string;

  const sync = async () => (await server.gql(SYNC, { id: clusterId }, admin)).data!.cluster;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
    admin = await server.issueToken('admin');
    // Alertmanager starts on a hand-written config; the sidecar takes the file over.
    alertmanager = await startAlertmanager('route:\n  receiver: local\nreceivers:\n  - name: local\n');
    const created = await server.gql(
      'mutation($input: CreateClusterInput!) { createCluster(input: $input) { sidecarToken cluster { id } } }',
      { input: { name: 'e2e-sync', alertmanagerUrls: [alertmanager.url], syncIntervalSeconds: POLL_SECONDS } },
      admin,
    );
    clusterId = created.data!.createCluster.cluster.id;
    sidecar = await startSidecarProcess(
      [
        '--kind',
        'alertmanager',
        '--server',
        server.baseUrl,
        '--cluster',
        'e2e-sync',
        '--file',
        alertmanager.configFile,
        '--engine-url',
        alertmanager.url,
        '--instance',
        'am-0',
        '--backoff-base',
        '200ms',
        '--backoff-max',
        '1s',
        '--log-level',
        'warn',
      ],
      created.data!.createCluster.sidecarToken,
    );
  });

  afterAll(async () => {
    await sidecar?.stop();
    await alertmanager?.stop();
    await server?.stop();
    await db?.drop();
  });

  it('brings the running Alertmanager onto the rendered config and reports the applied hash', async () => {
    const applied = await waitFor(
      async () => {
        const cluster = await sync();
        return cluster.sync.instances[0]?.inSync ? cluster : false;
      },
      'the first sync report',
      15_000,
    );
    expect(applied.sync.instances[0]).toMatchObject({ instance: 'am-0', appliedHash: applied.desiredConfig.hash, lastError: null });
    expect(createHash('sha256').update(readFileSync(alertmanager.configFile, 'utf8')).digest('hex')).toBe(applied.desiredConfig.hash);
    const running = (await alertmanager.status()).config.original;
    expect(running).toContain('name: alertagent');
    expect(running).toContain('/api/v1/alerts/alertmanager/e2e-sync');
  });

  it('carries a change made through GraphQL to the Alertmanager within the poll interval', async () => {
    const syncs = nextResults<{ clusterSync: { instance: string; appliedHash: string; ok: boolean } }>(
      server.wsClient(admin),
      `subscription { clusterSync(clusterId: "${clusterId}") { instance appliedHash ok } }`,
      1,
      15_000,
    );
    await new Promise((r) => setTimeout(r, 200));
    const changed = await server.gql(
      UPDATE,
      { id: clusterId, input: { routes: '- receiver: alertagent\n  matchers: [\'severity="page"\']\n  group_wait: 7s\n' } },
      admin,
    );
    expect(changed.errors).toBeUndefined();
    const started = Date.now();
    await waitFor(
      async () => (await alertmanager.status()).config.original.includes('group_wait: 7s'),
      'the new route in Alertmanager',
      10_000,
    );
    const elapsedMs = Date.now() - started;
    // One poll interval, plus the write, the reload and our own polling of Alertmanager.
    expect(elapsedMs).toBeLessThan(POLL_SECONDS * 1000 + 1_500);

    const desired = (await sync()).desiredConfig.hash;
    const [report] = await syncs.done;
    expect(report.data!.clusterSync).toEqual({ instance: 'am-0', appliedHash: desired, ok: true });
    expect((await sync()).sync.instances[0]).toMatchObject({ appliedHash: desired, inSync: true });
    expect((await sidecar.health()).appliedHash).toBe(desired);
  });

  it('restores the last good file when Alertmanager refuses a config AlertAgent could not judge, and reports why', async () => {
    const before = await sync();
    const goodFile = readFileSync(alertmanager.configFile, 'utf8');
    // A template file that exists only beside Alertmanager, and does not parse: only Alertmanager can see that.
    writeFileSync(join(alertmanager.dir, 'broken.tmpl'), '{{ define "x" }}{{ .Foo \n');
    const changed = await server.gql(
      UPDATE,
      { id: clusterId, input: { configTemplate: `templates: ['${alertmanager.dir}/*.tmpl']\n` } },
      admin,
    );
    expect(changed.errors).toBeUndefined();

    const failed = await waitFor(
      async () => {
        const cluster = await sync();
        return cluster.sync.instances[0]?.lastError ? cluster : false;
      },
      'a failure report',
      15_000,
    );
    const instance = failed.sync.instances[0];
    expect(instance.lastError).toContain('refused by the engine');
    expect(instance.lastError).toContain('unclosed action');
    expect(instance.lastError).toContain('restored config');
    expect(instance.appliedHash).toBe(before.desiredConfig.hash);
    expect(instance.inSync).toBe(false);

    expect(readFileSync(alertmanager.configFile, 'utf8')).toBe(goodFile);
    const running = (await alertmanager.status()).config.original;
    expect(running).toContain('group_wait: 7s');
    expect(running).not.toContain('broken');
    expect((await sidecar.health()).consecutiveFailures).toBeGreaterThan(0);

    // Fixing it (here: the template file) lets the next retry through on its own.
    writeFileSync(join(alertmanager.dir, 'broken.tmpl'), '{{ define "x" }}fixed{{ end }}\n');
    await waitFor(async () => (await sync()).sync.instances[0].inSync, 'the retried config applied', 15_000);
    expect((await alertmanager.status()).config.original).toContain('.tmpl');
  });
});
