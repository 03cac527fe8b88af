import { routeAllTo } from '../support/fixtures';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../support/app';
import { freePort } from '../support/cli-process';
import { WebhookPeer } from '../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { startOwnRedis, type OwnRedis } from '../support/redis';
import { waitFor } from '../support/wait';
import { validPayload } from '../support/alerts';

/**
 * Windows (HA copies, convergence, flapping) live in Redis: a Redis that persists its data keeps
 * them across its own restart, so a copy or a repeat after the restart is still recognised.
 */
describe('windows across a Redis restart', () => {
  let db: TestDatabase;
  let redis: OwnRedis;
  const peer = new WebhookPeer();
  let server: TestServer;
  let sender: string;
  let admin: string;
  const dir = mkdtempSync(join(tmpdir(), 'aa-redis-persist-'));

  const post = (fingerprint: string, startsAt = '2026-12-01T10:00:00Z', externalURL = 'http://am-0:9093') => {
    const payload = validPayload();
    payload.externalURL = externalURL;
    payload.alerts[0].fingerprint = fingerprint;
    payload.alerts[0].startsAt = startsAt;
    return fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sender}` },
      body: JSON.stringify(payload),
    });
  };
  const stateOf = async (fingerprint: string) =>
    (
      await server.gql(
        'query($f: String) { alertRecords(fingerprint: $f, limit: 10, order: ASC) { items { state } } }',
        { f: fingerprint },
        admin,
      )
    ).data!.alertRecords.items.map((r: { state: string }) => r.state);

  beforeAll(async () => {
    db = await createTestDatabase();
    redis = await startOwnRedis(await freePort(), dir);
    await peer.start();
    const flagsFile = join(dir, 'flags.yaml');
    writeFileSync(flagsFile, 'gateway.convergence: true\n');
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'windows',
      FLAGS_BOOTSTRAP_FILE: flagsFile,
      GATEWAY_CONVERGENCE_WINDOW_MS: '600000',
      GATEWAY_DEDUPE_WINDOW_MS: '8000',
    });
    admin = await server.issueToken('admin');
    sender = await server.issueToken('operator', 'alertmanager');
    await routeAllTo(server, { name: 'oncall', type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, admin);
  });

  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
    await peer.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('recognises an HA copy and a repeat sent after Redis was killed and restarted', async () => {
    const firstAt = Date.now();
    expect((await post('f-restart')).status).toBe(200);
    await waitFor(() => peer.accepted.length === 1, 'the first notification', 5_000);

    await redis.kill();
    await redis.start();
    // The server's connections come back on their own.
    await waitFor(
      async () =>
        (
          (await (await fetch(`${server.baseUrl}/readyz`)).json()) as { components: Array<{ name: string; status: string }> }
        ).components.some((c) => c.name === 'redis' && c.status === 'up'),
      'Redis answering again',
      15_000,
      200,
    );
    // A window call that failed during the restart leaves Redis alone for a second.
    await new Promise((r) => setTimeout(r, 1_200));

    // The other Alertmanager replica's copy of the same notification: a duplicate.
    expect(Date.now() - firstAt).toBeLessThan(7_000);
    expect((await post('f-restart', '2026-12-01T10:00:00Z', 'http://am-1:9093')).status).toBe(200);
    // Alertmanager's repeat a group_interval later (past the copy window): folded by convergence.
    await new Promise((r) => setTimeout(r, Math.max(0, firstAt + 8_200 - Date.now())));
    expect((await post('f-restart', '2026-12-01T10:00:00Z')).status).toBe(200);
    await waitFor(
      async () => (await stateOf('f-restart')).length === 3 && !(await stateOf('f-restart')).includes('received'),
      'three records settled',
      5_000,
    );
    expect(await stateOf('f-restart')).toEqual(['delivered', 'duplicate', 'converged']);
    expect(peer.accepted).toHaveLength(1);
  });
});
