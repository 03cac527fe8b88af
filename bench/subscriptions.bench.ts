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
/** Rounds of every count, alternating: a single p99 on a shared 2-core box varies by half between runs, medians less. */
const ROUNDS = Number(process.env.BENCH_SUBSCRIPTIONS_ROUNDS ?? 3);
const QUERY = 'subscription { gatewayEvents { type fingerprint at } }';

/**
 * The subscribers, in a process of their own: N graphql-ws connections on raw TCP sockets, the
 * WebSocket framing done by hand (RFC 6455: client frames masked, server frames not), so that
 * receiving 200,000 messages a second costs the box as little as possible — a WebSocket library
 * allocates and emits per message. Each connection subscribes once; ping frames are answered with
 * pongs. For latency it reads only the event's time out of every fourth message. On 'report' it
 * sends counts and latency percentiles from each event's \`at\` to its arrival.
 */
const SUBSCRIBERS = `
const net = require('net'); const crypto = require('crypto');
const [url, token, count, query] = [new URL(process.argv[1]), process.argv[2], Number(process.argv[3]), process.argv[4]];
let ready = 0; let received = 0; let closed = 0; let problem = null; const latencies = [];
const AT = Buffer.from('"at":"');
const frame = (opcode, payload) => {
  const body = Buffer.from(payload); const mask = crypto.randomBytes(4);
  const head = body.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | body.length]) : Buffer.from([0x80 | opcode, 0x80 | 126, body.length >> 8, body.length & 255]);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
};
const open = () => new Promise((resolve) => {
  const socket = net.connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  let upgraded = false; let acked = false; let pending = null; let done = false;
  const finish = () => { if (!done) { done = true; resolve(); } };
  socket.on('connect', () => socket.write('GET ' + url.pathname + ' HTTP/1.1\\r\\nHost: ' + url.host + '\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n' +
    'Sec-WebSocket-Key: ' + crypto.randomBytes(16).toString('base64') + '\\r\\nSec-WebSocket-Version: 13\\r\\nSec-WebSocket-Protocol: graphql-transport-ws\\r\\n\\r\\n'));
  socket.on('data', (chunk) => {
    let data = pending ? Buffer.concat([pending, chunk]) : chunk; pending = null;
    if (!upgraded) {
      const end = data.indexOf('\\r\\n\\r\\n');
      if (end < 0) { pending = data; return; }
      if (!data.toString('latin1', 0, 12).startsWith('HTTP/1.1 101')) { problem ??= data.toString('latin1', 0, end); socket.destroy(); return; }
      upgraded = true; data = data.subarray(end + 4);
      socket.write(frame(1, JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer ' + token } })));
    }
    let at = 0;
    while (data.length - at >= 2) {
      const opcode = data[at] & 15; let length = data[at + 1] & 127; let head = 2;
      if (length === 126) { if (data.length - at < 4) break; length = data.readUInt16BE(at + 2); head = 4; }
      else if (length === 127) { if (data.length - at < 10) break; length = Number(data.readBigUInt64BE(at + 2)); head = 10; }
      if (data.length - at < head + length) break;
      const start = at + head; at = start + length;
      if (opcode === 9) { socket.write(frame(10, data.subarray(start, at))); continue; }
      if (opcode === 8) { problem ??= 'closed ' + (length >= 2 ? data.readUInt16BE(start) : '') + ' ' + data.toString('utf8', start + 2, at); socket.end(); continue; }
      if (opcode !== 1) continue;
      if (!acked) {
        if (data.toString('utf8', start, at).includes('"connection_ack"')) {
          acked = true; ready++;
          socket.write(frame(1, JSON.stringify({ id: '1', type: 'subscribe', payload: { query } })));
          finish();
        }
        continue;
      }
      received++;
      if ((received & 3) === 0) {
        const found = data.indexOf(AT, start);
        if (found >= 0 && found < at) latencies.push(Date.now() - Date.parse(data.toString('latin1', found + 6, data.indexOf(34, found + 6))));
      }
    }
    if (at < data.length) pending = data.subarray(at);
  });
  socket.on('close', () => { closed++; finish(); });
  socket.on('error', (err) => { problem ??= err.message; });
});
(async () => {
  for (let i = 0; i < count; i += 100) await Promise.all(Array.from({ length: Math.min(100, count - i) }, open));
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
  const child = spawn(process.execPath, ['-e', SUBSCRIBERS, url, token, String(count), QUERY], {
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
    const answerP99 = new Map<number, number[]>(SUBSCRIBER_COUNTS.map((count) => [count, []]));
    const eventP99 = new Map<number, number[]>(SUBSCRIBER_COUNTS.map((count) => [count, []]));
    for (let round = 1; round <= ROUNDS; round += 1)
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
        answerP99.get(count)!.push(p99);
        if (events?.p99 != null) eventP99.get(count)!.push(events.p99);
        // received, routed/delivered: every alert yields at least two events per subscriber.
        const expected = count * total * 2;
        const cell = (s: string, width: number) => s.padEnd(width);
        console.log(
          `  ${cell(ROUNDS > 1 ? `${count} (${round})` : String(count), 13)} ${cell(`${percentile(sorted, 0.5).toFixed(1)} / ${p99.toFixed(1)} ms`, 19)} ${cell(`${delivery.p50} / ${delivery.p99} ms`, 22)} ` +
            `${cell(events ? `${events.received} / ≥${expected}${events.closed ? ` (${events.closed} closed)` : ''}` : '—', 26)} ` +
            `${cell(events ? `${events.p50} / ${events.p99} / ${events.max} ms` : '—', 27)} ${cell(`${((cpu / total) * 1000).toFixed(2)} ms/alert`, 12)} ${cell(`${serverLoop.toFixed(0)} ms`, 16)} ${clientCpu === null ? '—' : `${Math.round((100 * clientCpu) / measuredSeconds)} %`}`,
        );
        // The next round starts once the server has let go of these subscribers (their sockets closed, their
        // backlog skipped): a round of 5,000 otherwise spills into the one after it.
        await waitForNoSubscriptions(server.url.replace('/graphql', '/metrics'), dispatcher);
        await new Promise((r) => setTimeout(r, 1_000 + count));
      }
    const median = (values: number[]) =>
      percentile(
        [...values].sort((a, b) => a - b),
        0.5,
      );
    const reference = median(answerP99.get(SUBSCRIBER_COUNTS[0]) ?? []);
    console.log(`\n  medians of ${ROUNDS} round(s)   answer p99 (× the ${SUBSCRIBER_COUNTS[0]}-subscriber reference)   event p99`);
    for (const count of SUBSCRIBER_COUNTS) {
      const answer = median(answerP99.get(count)!);
      const event = eventP99.get(count)!.length > 0 ? `${median(eventP99.get(count)!)} ms` : '—';
      console.log(`  ${String(count).padEnd(27)} ${`${answer.toFixed(1)} ms (${(answer / reference).toFixed(2)}×)`.padEnd(53)} ${event}`);
    }
    console.log('  (the aim: 1,000 subscribers with event p99 < 100 ms and the answer p99 within 20 % of the reference)\n');
  } catch (err) {
    // What the server logged (warnings and errors) says why, more often than the error here.
    console.error(server.output().split('\n').slice(-20).join('\n'));
    throw err;
  } finally {
    await dispatcher.close();
    await bench.stop();
    peer.child.kill();
  }
}

/** Waits (at most 30 s) until the server runs no subscription any more. */
async function waitForNoSubscriptions(metricsUrl: string, dispatcher: Agent): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const text = await (await request(metricsUrl, { dispatcher })).body.text();
    if (
      !metricValue(text, 'alertagent_subscription_executions', { role: 'subscriptions' }) &&
      !metricValue(text, 'alertagent_subscription_executions', { role: 'serve' })
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
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
