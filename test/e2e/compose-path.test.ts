import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../support/app';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { startSidecarProcess, type SidecarProcess } from '../support/cli-process';
import { TEST_REDIS_URL } from '../support/env';
import { WebhookPeer } from '../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus';
import { testRedisPrefix } from '../support/redis';
import { waitFor } from '../support/wait';

const STACK = join(__dirname, '../../deploy/compose');
const BOOTSTRAP = 'compose-path-admin-token-0123456789abcdef';

/**
 * The Compose stack's wiring without Docker (its images cannot be pulled here): the same seed
 * config, setup script and sidecar flags, with real Prometheus, Alertmanager and AlertAgent on
 * loopback. The demo rule travels AlertAgent → rules sidecar → Prometheus → Alertmanager (its
 * config from AlertAgent through the other sidecar) → AlertAgent → the channel.
 */
describe('the Compose stack, run as processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aa-compose-'));
  const redis = testRedisPrefix();
  const echo = new WebhookPeer();
  let db: TestDatabase;
  let server: TestServer;
  let alertmanager: RunningAlertmanager;
  let prometheus: RunningPrometheus;
  const sidecars: SidecarProcess[] = [];
  const tokenFile = join(dir, 'sidecar-token');

  // Not spawnSync: the server under test runs in this process and must keep answering.
  const setup = () =>
    new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(STACK, 'setup.mjs')],
        {
          encoding: 'utf8',
          timeout: 60_000,
          env: {
            PATH: process.env.PATH,
            ALERTAGENT_URL: server.baseUrl,
            ADMIN_TOKEN_FILE: join(dir, 'admin-token'),
            SIDECAR_TOKEN_FILE: tokenFile,
            ECHO_URL: `${echo.baseUrl}/alertagent`,
            ALERTMANAGER_URL: alertmanager.url,
            PROMETHEUS_URL: prometheus.url,
          },
        },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
      );
    });

  beforeAll(async () => {
    await echo.start();
    db = await createTestDatabase();
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      AUTH_BOOTSTRAP_TOKEN: BOOTSTRAP,
    });
    writeFileSync(join(dir, 'admin-token'), `${BOOTSTRAP}\n`);
    alertmanager = await startAlertmanager(readFileSync(join(STACK, 'alertmanager-seed.yml'), 'utf8'));
    prometheus = await startPrometheus(30_000, alertmanager.url);
  });

  afterAll(async () => {
    for (const sidecar of sidecars) await sidecar.stop();
    await prometheus?.stop();
    await alertmanager?.stop();
    await server?.stop();
    await echo.stop();
    await db?.drop();
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the demo alert to the channel, and a second start changes nothing', async () => {
    const first = await setup();
    expect(first.out).toContain('setup: cluster demo created');
    expect(first.code).toBe(0);
    const token = readFileSync(tokenFile, 'utf8').trim();
    sidecars.push(
      await startSidecarProcess(
        [
          '--kind=alertmanager',
          `--server=${server.baseUrl}`,
          '--cluster=demo',
          `--file=${alertmanager.configFile}`,
          `--engine-url=${alertmanager.url}`,
          '--instance=alertmanager',
          '--interval=1s',
        ],
        token,
      ),
    );
    sidecars.push(
      await startSidecarProcess(
        [
          '--kind=prometheus',
          `--server=${server.baseUrl}`,
          '--cluster=demo',
          `--file=${prometheus.ruleFile}`,
          `--engine-url=${prometheus.url}`,
          '--instance=prometheus',
          '--interval=1s',
        ],
        token,
      ),
    );

    await waitFor(
      async () => (await prometheus.ruleGroups()).some((g) => g.name === 'alertagent-demo'),
      'the demo rule in Prometheus',
      30_000,
    );
    await waitFor(
      async () => (await alertmanager.status()).config.original.includes('/api/v1/alerts/alertmanager/demo'),
      "AlertAgent's config in Alertmanager",
      30_000,
    );
    await waitFor(async () => echo.requests.some((r) => r.body.includes('AlertAgentDemo')), 'the demo alert at the echo channel', 90_000);
    // The message goes out before the record's outcome is stored (pass-through): wait for the record too.
    await waitFor(async () => {
      const { data } = await server.gql<{ alertRecords: { items: Array<{ cluster: string; state: string }> } }>(
        '{ alertRecords(alertname: "AlertAgentDemo") { items { cluster state } } }',
        {},
        BOOTSTRAP,
      );
      return data!.alertRecords.items.some((r) => r.cluster === 'demo' && r.state === 'delivered');
    }, 'the record of the demo alert delivered, labelled with its cluster');

    // `docker compose up` again: everything is found, nothing is made twice, the sidecars keep their token.
    const second = await setup();
    expect(second.code).toBe(0);
    expect(second.out).toMatch(
      /channel demo-echo exists[\s\S]*a default route exists[\s\S]*cluster demo exists[\s\S]*rule group alertagent-demo exists/,
    );
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(token);
    const counts = await server.gql(
      '{ channels { total } routes { items { id } } clusters { items { id } } ruleGroups { items { id } } }',
      {},
      BOOTSTRAP,
    );
    expect({
      channels: counts.data!.channels.total,
      routes: counts.data!.routes.items.length,
      clusters: counts.data!.clusters.items.length,
      groups: counts.data!.ruleGroups.items.length,
    }).toEqual({ channels: 1, routes: 1, clusters: 1, groups: 1 });
    expect((await sidecars[0]!.health()).consecutiveFailures).toBe(0);
  }, 180_000);
});
