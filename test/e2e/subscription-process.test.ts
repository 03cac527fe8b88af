import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { validPayload } from '../support/alerts';
import { productionServeEnv, startServeProcess, type ServeProcess } from '../support/cli-process';
import { metricValue } from '../support/metrics';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { childProcesses, commandLine } from '../support/processes';
import { testRedisPrefix } from '../support/redis';
import { waitFor } from '../support/wait';

const BOOTSTRAP = 'subscription-process-bootstrap-token-0123456789';
const EVENTS = 'subscription { gatewayEvents { type fingerprint } }';
const CONNECTIONS_PER_ADDRESS = 8;

function subscriptionProcessOf(server: ServeProcess): number | undefined {
  return childProcesses(server.child.pid!).find((child) => commandLine(child).includes('subscription-process-main'));
}

/** The status line a WebSocket upgrade request to `url` is answered with. */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode!);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * With PostgreSQL and Redis, `alertagent serve` serves graphql-ws from a child process of its own
 * (WS_PROCESS=auto): the serve process hands each upgrade over, so writing events to many sockets
 * never runs on the event loop that answers Alertmanager. These tests run the built CLI.
 */
describe('the subscription process', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  let server: ServeProcess;
  const clients: Client[] = [];
  let sequence = 0;

  const client = () => {
    const made = createClient({
      url: server.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${BOOTSTRAP}` },
      retryAttempts: 0,
    });
    clients.push(made);
    return made;
  };
  /** Subscribes to gateway events; resolves with the first event about an alert posted after `ready` resolves. */
  const firstEvent = (subscriber: Client) => {
    const seen: string[] = [];
    let ready: () => void = () => {};
    const running = new Promise<void>((resolve) => (ready = resolve));
    const event = new Promise<string>((resolve, reject) => {
      subscriber.subscribe<{ gatewayEvents: { fingerprint: string } }>(
        { query: EVENTS },
        {
          next: (result) => {
            seen.push(result.data!.gatewayEvents.fingerprint);
            resolve(result.data!.gatewayEvents.fingerprint);
          },
          error: reject,
          complete: () => {},
        },
      );
      subscriber.on('connected', () => setTimeout(ready, 300));
    });
    return { running, event };
  };
  const postAlert = async (): Promise<string> => {
    const payload = validPayload();
    const fingerprint = `subproc${String(sequence++).padStart(9, '0')}`;
    payload.groupKey = `{}:{alertname="${fingerprint}"}`;
    payload.alerts[0] = { ...payload.alerts[0], fingerprint, labels: { ...payload.alerts[0].labels, instance: fingerprint } };
    const res = await fetch(server.url.replace('/graphql', '/api/v1/alerts/alertmanager'), {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(res.status).toBe(200);
    return fingerprint;
  };
  const readiness = async () =>
    (await (await fetch(server.url.replace('/graphql', '/readyz'))).json()) as { status: string; degradations: string[] };

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startServeProcess({
      ...productionServeEnv(db.url, redis.prefix, BOOTSTRAP),
      LOG_LEVEL: 'warn',
      // Low, so that a socket handed over but still counted here would soon lock clients out.
      MAX_CONNECTIONS_PER_IP: String(CONNECTIONS_PER_ADDRESS),
      MAX_CONNECTIONS: String(CONNECTIONS_PER_ADDRESS),
    });
  }, 60_000);

  afterAll(async () => {
    for (const each of clients) await each.dispose();
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await db?.drop();
    await redis.cleanup();
  });

  it('streams events to subscribers from a child process and reports its metrics with the serve process', async () => {
    expect(subscriptionProcessOf(server)).toBeDefined();
    const { running, event } = firstEvent(client());
    await running;
    const fingerprint = await postAlert();
    expect(await event).toBe(fingerprint);

    const metrics = await (await fetch(server.url.replace('/graphql', '/metrics'))).text();
    expect(metricValue(metrics, 'alertagent_subscription_executions', { role: 'subscriptions' })).toBe(1);
    // Each process's own series, told apart by their role label.
    expect(metricValue(metrics, 'alertagent_process_resident_memory_bytes', { role: 'serve' })).toBeGreaterThan(0);
    expect(metricValue(metrics, 'alertagent_process_resident_memory_bytes', { role: 'subscriptions' })).toBeGreaterThan(0);
    expect(await upgradeStatus(server.url.replace('/graphql', '/elsewhere'))).toBe(404);
  }, 30_000);

  it('stops counting a socket against the connection limits once it is handed over', async () => {
    for (let i = 0; i < 3 * CONNECTIONS_PER_ADDRESS; i += 1) {
      const socket = new WebSocket(server.url.replace('http', 'ws'), 'graphql-transport-ws');
      await new Promise<void>((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      socket.close();
      await new Promise((resolve) => socket.once('close', resolve));
    }
    expect((await fetch(server.url.replace('/graphql', '/healthz'))).status).toBe(200);
  }, 30_000);

  it('refuses new subscriptions with 503 while the child is away, says so in /readyz, and starts it again', async () => {
    const first = subscriptionProcessOf(server)!;
    process.kill(first, 'SIGKILL');
    const degraded = await waitFor(async () => {
      const health = await readiness();
      return health.degradations.some((line) => line.startsWith('subscriptions:')) && health;
    }, 'the degradation in /readyz');
    expect(degraded.status).toBe('degraded');
    expect(await upgradeStatus(server.url)).toBe(503);

    const second = await waitFor(() => {
      const pid = subscriptionProcessOf(server);
      return pid !== undefined && pid !== first && pid;
    }, 'a new subscription process');
    await waitFor(async () => (await readiness()).status === 'ok', 'ready without degradation', 30_000);
    expect(second).not.toBe(first);
    const { running, event } = firstEvent(client());
    await running;
    const fingerprint = await postAlert();
    expect(await event).toBe(fingerprint);
  }, 60_000);

  it('ends with the serve process', async () => {
    const child = subscriptionProcessOf(server)!;
    expect(await server.stop()).toBe(0);
    await waitFor(() => !alive(child), 'the child gone');
  }, 30_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the subscription process and a reloaded config file', () => {
  it('takes a new log level as the serve process does', async () => {
    const db = await createTestDatabase();
    const redis = testRedisPrefix();
    const dir = mkdtempSync(join(tmpdir(), 'aa-subproc-'));
    const file = join(dir, 'alertagent.yml');
    writeFileSync(file, 'log:\n  level: warn\n');
    const server = await startServeProcess({
      ...productionServeEnv(db.url, redis.prefix, BOOTSTRAP),
      ALERTAGENT_CONFIG: file,
      LOG_LEVEL: '',
    });
    try {
      writeFileSync(file, 'log:\n  level: info\n');
      await waitFor(
        () =>
          server
            .output()
            .split('\n')
            .some((line) => line.includes('"process":"subscriptions"') && line.includes('configuration reloaded')),
        'the subscription process logging at the new level',
      );
    } finally {
      await server.stop();
      await db.drop();
      await redis.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
