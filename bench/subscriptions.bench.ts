import { spawn, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { validPayload } from '../test/support/alerts';
import { postGraphQL } from '../test/support/cli-process';
import { metricValue } from '../test/support/metrics';
import { CHANNEL_PEER, cpuSeconds, spawnScript, startBenchServer } from './support';

const BOOTSTRAP = 'bench-subscriptions-bootstrap-token-0123456789';
const SUBSCRIBER_COUNTS = (process.env.BENCH_SUBSCRIBERS ?? '0,100,1000').split(',').map(Number);
const RATE = Number(process.env.BENCH_SUBSCRIPTIONS_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SUBSCRIPTIONS_SECONDS ?? 15);
const QUERY = 'subscription { gatewayEvents { type fingerprint at } }';

/**
 * The subscribers, in a process of their own: N graphql-ws connections speaking the protocol by
 * hand (no client library), each subscribed to every gateway event. For latency it reads only the
 * event's time out of each message (no full JSON parse), so the clients stay cheap. On 'report'
 * it sends counts and latency percentiles from each event's \`at\` to its arrival.
 */
const SUBSCRIBERS = `
const WebSocket = require(process.argv[5]);
const [url, token, count, query] = [process.argv[1], process.argv[2], Number(process.argv[3]), process.argv[4]];
let ready = 0; let received = 0; let closed = 0; let problem = null; const latencies = [];
const open = (i) => new Promise((resolve) => {
  const ws = new WebSocket(url, 'graphql-transport-ws');
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer ' + token } })));
  ws.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith('{"type":"connection_ack"')) { ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } })); ready++; return resolve(); }
    if (text.includes('"type":"ping"')) return ws.send('{"type":"pong"}');
    received++;
    const at = text.indexOf('"at":"');
    if (at >= 0 && (received & 3) === 0) latencies.push(Date.now() - Date.parse(text.slice(at + 6, text.indexOf('"', at + 6))));
  });
  ws.on('close', (code, reason) => { closed++; problem ??= 'closed ' + code + ' ' + reason; resolve(); });
  ws.on('error', (err) => { problem ??= err.message; });
});
(async () => {
  for (let i = 0; i < count; i += 100) await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => open(i + j)));
  process.send({ ready, closed, problem });
})();
process.on('message', (m) => {
  if (m === 'reset') { received = 0; latencies.length = 0; return; }
  const sorted = latencies.sort((a, b) => a - b);
  const p = (x) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))] : null;
  process.send({ received, closed, p50: p(0.5), p99: p(0.99), max: sorted[sorted.length - 1] ?? null });
});`;

interface SubscriberReport {
  received: number;
  closed: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function spawnSubscribers(
  url: string,
  token: string,
  count: number,
): Promise<{ child: ChildProcess; report(): Promise<SubscriberReport>; reset(): void }> {
  const child = spawn(process.execPath, ['-e', SUBSCRIBERS, url, token, String(count), QUERY, require.resolve('ws')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const first = await new Promise<{ ready: number; closed: number; problem: string | null }>((resolve) =>
    child.once('message', resolve as never),
  );
  if (first.ready < count)
    throw new Error(`only ${first.ready} of ${count} subscribers connected (${first.closed} closed; first problem: ${first.problem})`);
  return {
    child,
    reset: () => child.send('reset'),
    report: () =>
      new Promise((resolve) => {
        child.once('message', resolve as never);
        child.send('report');
      }),
  };
}

/**
 * `npm run bench:subscriptions`: webhooks at a fixed rate (one alert each) while N graphql-ws
 * clients, in their own process, subscribe to every gateway event. Prints per N the webhook's
 * answer latency, send→channel latency, event latency at the subscribers, events received
 * against those expected, and the server's CPU; N = 0 is the reference.
 */
export async function runSubscriptionsBench(): Promise<void> {
  const peer = await spawnScript(CHANNEL_PEER);
  const most = Math.max(...SUBSCRIBER_COUNTS);
  const bench = await startBenchServer(BOOTSTRAP, {
    // Every subscriber comes from this machine with one token: the per-address and per-caller caps are lifted.
    MAX_CONNECTIONS_PER_IP: String(most + 1_000),
    MAX_CONNECTIONS: String(most + 2_000),
    WS_MAX_CONNECTIONS: String(most + 100),
    WS_MAX_CONNECTIONS_PER_IP: String(most + 100),
    WS_MAX_CONNECTIONS_PER_CALLER: String(most + 100),
    GRAPHQL_REQUESTS_PER_MINUTE_PER_IP: String(10 * most + 1_000),
  });
  const { server } = bench;
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 60_000 });
  const pid = server.child.pid;
  try {
    const channel = await postGraphQL(
      server.url,
      `mutation { createChannel(input: { name: "peer", type: "webhook", config: { url: "${peer.url}/hook" } }) { id } }`,
      BOOTSTRAP,
    );
    await postGraphQL(
      server.url,
      `mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channel.data.createChannel.id}"] }) { id } }`,
      BOOTSTRAP,
    );
    const viewer = (
      await postGraphQL(server.url, 'mutation { createApiToken(input: { name: "screens", role: VIEWER }) { token } }', BOOTSTRAP)
    ).data.createApiToken.token as string;
    const webhookUrl = server.url.replace('/graphql', '/api/v1/alerts/alertmanager');
    let sequence = 0;
    const post = async (): Promise<number> => {
      const payload = validPayload();
      const n = sequence++;
      payload.groupKey = `{}:{n="${n}"}`;
      payload.alerts = [
        {
          ...payload.alerts[0],
          labels: { ...payload.alerts[0].labels, instance: `s-${n}` },
          annotations: { ...payload.alerts[0].annotations, sentAt: String(Date.now()) },
          fingerprint: n.toString(16).padStart(16, '0'),
        },
      ];
      const started = performance.now();
      const response = await request(webhookUrl, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${BOOTSTRAP}` },
        body: JSON.stringify(payload),
      });
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`webhook answered ${response.statusCode}`);
      return performance.now() - started;
    };

    console.log(
      `Subscriptions: webhooks at ${RATE}/s (1 alert each) for ${SECONDS} s while N clients subscribe to every gateway event (${QUERY}); PostgreSQL + Redis`,
    );
    console.log(
      "  subscribers   answer p50/p99      send→channel p50/p99   events received/expected   event latency p50/p99/max   server CPU   server loop max  subscribers' CPU (of one core)",
    );
    let reference: number | null = null;
    for (const count of SUBSCRIBER_COUNTS) {
      const subscribers = count > 0 ? await spawnSubscribers(server.url.replace('http', 'ws'), viewer, count) : null;
      // Unmeasured warm-up, then the measured run.
      for (let i = 0; i < RATE; i += 1) {
        await post();
        await new Promise((r) => setTimeout(r, 1000 / RATE));
      }
      await new Promise((r) => setTimeout(r, 1000));
      subscribers?.reset();
      await request(`${peer.url}/reset`, { method: 'POST', dispatcher }).then((r) => r.body.dump());
      const cpuBefore = cpuSeconds(pid);
      const clientCpuBefore = subscribers ? cpuSeconds(subscribers.child.pid) : null;
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const latencies: number[] = [];
      const sends: Array<Promise<void>> = [];
      const start = performance.now();
      const total = RATE * SECONDS;
      for (let i = 0; i < total; i += 1) {
        const wait = start + (i * 1000) / RATE - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sends.push(post().then((ms) => void latencies.push(ms)));
      }
      await Promise.all(sends);
      await new Promise((r) => setTimeout(r, 2_000));
      loop.disable();
      const cpu = (cpuSeconds(pid) ?? NaN) - (cpuBefore ?? NaN);
      const clientCpu = subscribers ? (cpuSeconds(subscribers.child.pid) ?? NaN) - (clientCpuBefore ?? NaN) : null;
      const measuredSeconds = (performance.now() - start) / 1000;
      const delivery = (await (await request(peer.url, { dispatcher })).body.json()) as { p50: number; p99: number };
      const events = subscribers ? await subscribers.report() : null;
      const serverLoop = await serverLoopMax(server.url.replace('/graphql', '/metrics'), dispatcher);
      subscribers?.child.kill();
      const sorted = latencies.sort((a, b) => a - b);
      const p99 = percentile(sorted, 0.99);
      reference ??= p99;
      // received, routed/delivered: every alert yields at least two events per subscriber.
      const expected = count * total * 2;
      const cell = (s: string, width: number) => s.padEnd(width);
      console.log(
        `  ${cell(String(count), 13)} ${cell(`${percentile(sorted, 0.5).toFixed(1)} / ${p99.toFixed(1)} ms`, 19)} ${cell(`${delivery.p50} / ${delivery.p99} ms`, 22)} ` +
          `${cell(events ? `${events.received} / ≥${expected}${events.closed ? ` (${events.closed} closed)` : ''}` : '—', 26)} ` +
          `${cell(events ? `${events.p50} / ${events.p99} / ${events.max} ms` : '—', 27)} ${cell(`${((cpu / total) * 1000).toFixed(2)} ms/alert`, 12)} ${cell(`${serverLoop.toFixed(0)} ms`, 16)} ${clientCpu === null ? '—' : `${Math.round((100 * clientCpu) / measuredSeconds)} %`}`,
      );
      await new Promise((r) => setTimeout(r, 1_000));
    }
    console.log(
      `  (the aim: 1,000 subscribers with event p99 < 100 ms and the answer p99 within 20 % of the reference, ${reference?.toFixed(1)} ms)\n`,
    );
  } finally {
    await dispatcher.close();
    await bench.stop();
    peer.child.kill();
  }
}

/** The server's largest event-loop delay since the last scrape. */
async function serverLoopMax(metricsUrl: string, dispatcher: Agent): Promise<number> {
  const text = await (await request(metricsUrl, { dispatcher })).body.text();
  return (metricValue(text, 'alertagent_nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000;
}

if (require.main === module) {
  runSubscriptionsBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
