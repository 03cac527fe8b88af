import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { validPayload } from '../test/support/alerts';
import { postGraphQL, startServeProcess } from '../test/support/cli-process';
import { TEST_ENCRYPTION_KEY } from '../test/support/env';
import { CHANNEL_PEER, cpuSeconds, rssMb, type Spawned, spawnScript, startBenchServer } from './support';
import { runWrk, wrkTemplate } from './wrk-load';

const BOOTSTRAP = 'bench-gateway-bootstrap-token-0123456789';
const SATURATION_SECONDS = Number(process.env.BENCH_SATURATION_SECONDS ?? 10);
const SATURATION_CONNECTIONS = Number(process.env.BENCH_SATURATION_CONNECTIONS ?? 32);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 20);
/** Each fixed-load run is preceded by this much of the same load, not measured (connections opened, code warm). */
const PACED_WARMUP_SECONDS = Number(process.env.BENCH_PACED_WARMUP_SECONDS ?? 3);
const PACED_SINGLE_RATE = Number(process.env.BENCH_PACED_SINGLE_RATE ?? 500);
const PACED_BATCH_RATE = Number(process.env.BENCH_PACED_BATCH_RATE ?? 40);

/** An analysis provider that takes requests and never answers (the worst case for "analysis never delays delivery"). */
const HANGING_PROVIDER = `
const s = require('http').createServer((q) => { q.resume(); });
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

/**
 * The ceiling: parse JSON, POST it to the peer, answer. Nothing stored, nothing routed. It posts
 * with undici's \`request\` and a keep-alive pool, the client AlertAgent itself uses: the global
 * \`fetch\` it used before is about four times slower on this path and flattered every ratio.
 * With "per-alert" it posts each alert on its own, as a route with a message per alert does.
 */
const FORWARDER = `
const { Agent, request } = require('undici');
const [peer, mode] = [process.argv[1], process.argv[2]];
const pool = new Agent({ connections: 64, keepAliveTimeout: 60000 });
const post = async (payload) => {
  const res = await request(peer, { method: 'POST', dispatcher: pool, headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  await res.body.dump();
};
const s = require('http').createServer((q, r) => { let body = ''; q.on('data', (c) => body += c); q.on('end', async () => {
  const payload = JSON.parse(body);
  if (mode === 'per-alert') await Promise.all(payload.alerts.map((a) => post({ ...payload, alerts: [a] })));
  else await post(payload);
  r.writeHead(200).end('{"status":"forwarded"}'); }); });
s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

/** Each run starts its alerts at its own time, so no run's alerts look like another's (the gateway drops such copies). */
function payloadOf(requestIndex: number, alertsPerRequest: number, runStartsAt: string): string {
  const payload = validPayload();
  const template = payload.alerts[0];
  const sentAt = String(Date.now());
  payload.groupKey = `{}:{batch="${requestIndex}"}`;
  payload.alerts = Array.from({ length: alertsPerRequest }, (_, i) => ({
    ...template,
    labels: { ...template.labels, instance: `n-${requestIndex}-${i}` },
    annotations: { ...template.annotations, sentAt },
    startsAt: runStartsAt,
    fingerprint: `${requestIndex.toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`,
  }));
  return JSON.stringify(payload);
}

interface RunResult {
  rate: number;
  stats: PeerStats;
  rejected: number;
  /** Server CPU time per alert, when measured. */
  cpuMsPerAlert?: number;
}

/** Runs `run` and adds the CPU time `pid` spent on it, per alert delivered. */
async function measuringCpu(pid: number | undefined, run: () => Promise<RunResult>): Promise<RunResult> {
  const before = cpuSeconds(pid);
  const result = await run();
  const after = cpuSeconds(pid);
  if (before === null || after === null || result.stats.alerts === 0) return result;
  return { ...result, cpuMsPerAlert: ((after - before) * 1000) / result.stats.alerts };
}

interface PeerStats {
  alerts: number;
  p50: number | null;
  p99: number | null;
}

async function peerStats(peerUrl: string): Promise<PeerStats> {
  return (await (await fetch(peerUrl)).json()) as PeerStats;
}

/**
 * Closed-loop saturation by wrk for `seconds`: accepted alerts/s from its answers, delivered
 * alerts/s at the peer over the same time, what had not arrived 3 s after the load ended, and
 * how long until everything accepted had.
 */
async function saturate(
  name: string,
  targetUrl: string,
  peer: Spawned,
  pid: number | undefined,
  alertsPerRequest: number,
  token?: string,
): Promise<string> {
  const peerUrl = peer.url;
  await fetch(`${peerUrl}/reset`, { method: 'POST' });
  const cpuBefore = cpuSeconds(pid);
  const peerCpuBefore = cpuSeconds(peer.child.pid);
  const started = Date.now();
  const result = await runWrk(
    targetUrl,
    wrkTemplate(alertsPerRequest, started.toString(36)),
    SATURATION_SECONDS,
    SATURATION_CONNECTIONS,
    token,
  );
  const loadSeconds = (Date.now() - started) / 1000;
  const peerCpu = ((cpuSeconds(peer.child.pid) ?? NaN) - (peerCpuBefore ?? NaN)) / loadSeconds;
  const deliveredDuringLoad = (await peerStats(peerUrl)).alerts;
  const rss = rssMb(pid);
  const accepted = (result.requests - result.refused) * alertsPerRequest;
  await new Promise((r) => setTimeout(r, 3_000));
  const undelivered = accepted - (await peerStats(peerUrl)).alerts;
  let drainedAfter = 3;
  while ((await peerStats(peerUrl)).alerts < accepted && drainedAfter < 120) {
    await new Promise((r) => setTimeout(r, 500));
    drainedAfter += 0.5;
  }
  const cpu = (cpuSeconds(pid) ?? NaN) - (cpuBefore ?? NaN);
  const delivered = (await peerStats(peerUrl)).alerts;
  return (
    `  ${name.padEnd(40)} accepted ${(accepted / loadSeconds).toFixed(0).padStart(6)}/s  delivered ${(deliveredDuringLoad / loadSeconds).toFixed(0).padStart(6)}/s` +
    `  answer p50 ${result.p50Ms.toFixed(1)} p99 ${result.p99Ms.toFixed(1)} max ${result.maxMs.toFixed(0)} ms` +
    `  refused ${result.refused}  not arrived 3 s after ${Math.max(0, undelivered)}${delivered < accepted ? ` (${accepted - delivered} never)` : ` (all by ${drainedAfter} s)`}` +
    `  CPU ${((cpu * 1000) / Math.max(1, delivered)).toFixed(2)} ms/alert  RSS ${rss?.toFixed(0) ?? '?'} MB  wrk ${(result.generatorCpu * 100).toFixed(0)} %, peer ${(peerCpu * 100).toFixed(0)} % of a core`
  );
}

/**
 * Open loop at a fixed offered rate (as alerts arrive from Alertmanager, independent of how fast
 * we answer): latency without the backlog a saturating closed loop builds.
 */
async function drivePaced(
  targetUrl: string,
  peerUrl: string,
  requestsPerSecond: number,
  seconds: number,
  alertsPerRequest: number,
  token?: string,
): Promise<RunResult> {
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 60_000 });
  try {
    if (PACED_WARMUP_SECONDS > 0)
      await sendPaced(dispatcher, targetUrl, peerUrl, requestsPerSecond, PACED_WARMUP_SECONDS, alertsPerRequest, token);
    return await sendPaced(dispatcher, targetUrl, peerUrl, requestsPerSecond, seconds, alertsPerRequest, token);
  } finally {
    await dispatcher.close();
  }
}

async function sendPaced(
  dispatcher: Agent,
  targetUrl: string,
  peerUrl: string,
  requestsPerSecond: number,
  seconds: number,
  alertsPerRequest: number,
  token?: string,
): Promise<RunResult> {
  await fetch(`${peerUrl}/reset`, { method: 'POST' });
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const requests = Math.round(requestsPerSecond * seconds);
  const started = Date.now();
  const runStartsAt = new Date(started).toISOString();
  let rejected = 0;
  const sends: Array<Promise<void>> = [];
  for (let i = 0; i < requests; i += 1) {
    const due = started + (i * 1000) / requestsPerSecond;
    const wait = due - Date.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sends.push(
      request(targetUrl, { method: 'POST', headers, body: payloadOf(i, alertsPerRequest, runStartsAt), dispatcher }).then(
        async (response) => {
          await response.body.text();
          if (response.statusCode !== 200) rejected += 1;
        },
      ),
    );
  }
  await Promise.all(sends);
  const expected = requests * alertsPerRequest;
  let stats = await peerStats(peerUrl);
  for (let waited = 0; stats.alerts < expected && waited < 120_000; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
    stats = await peerStats(peerUrl);
  }
  return { rate: stats.alerts / ((Date.now() - started) / 1000), stats, rejected };
}

function line(name: string, result: RunResult): string {
  const cpu = result.cpuMsPerAlert === undefined ? '' : `   server CPU ${result.cpuMsPerAlert.toFixed(2)} ms/alert`;
  return `  ${name.padEnd(46)} ${result.rate.toFixed(0).padStart(6)} alerts/s   p50 ${String(result.stats.p50).padStart(4)} ms   p99 ${String(result.stats.p99).padStart(4)} ms${cpu}${result.rejected ? `   rejected ${result.rejected}` : ''}`;
}

/** The same saturation against the embedded mode (PGlite, in-process queue and bus): it must hold, with 503s past the in-flight bound rather than collapse. */
async function embeddedSaturation(peer: Spawned): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aa-bench-embedded-'));
  const server = await startServeProcess({
    DATA_DIR: dataDir,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    AUTH_BOOTSTRAP_TOKEN: BOOTSTRAP,
    LOG_LEVEL: 'warn',
  });
  try {
    const channel = await postGraphQL(
      server.url,
      `mutation { createChannel(input: { name: "bench-peer", type: "webhook", config: { url: "${peer.url}/hook" } }) { id } }`,
      BOOTSTRAP,
    );
    await postGraphQL(
      server.url,
      `mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channel.data.createChannel.id}"] }) { id } }`,
      BOOTSTRAP,
    );
    const webhook = server.url.replace('/graphql', '/api/v1/alerts/alertmanager');
    console.log(`\nEmbedded mode (PGlite, no Redis) at saturation, same wrk load:`);
    console.log(await saturate('AlertAgent embedded, 1 alert/request', webhook, peer, server.child.pid, 1, BOOTSTRAP));
    console.log(await saturate('AlertAgent embedded, 50 alerts/request', webhook, peer, server.child.pid, 50, BOOTSTRAP));
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** AlertAgent's alert path against a bare forwarder, at 1 and 50 alerts per request. */
export async function runGatewayBench(): Promise<void> {
  const peer = await spawnScript(CHANNEL_PEER);
  const forwarder = await spawnScript(FORWARDER, [`${peer.url}/hook`]);
  const perAlertForwarder = await spawnScript(FORWARDER, [`${peer.url}/hook`, 'per-alert']);
  const hanging = await spawnScript(HANGING_PROVIDER);
  const flagsDir = mkdtempSync(join(tmpdir(), 'aa-bench-flags-'));
  writeFileSync(join(flagsDir, 'flags.yml'), 'analysis.enabled: true\n');
  const bench = await startBenchServer(BOOTSTRAP, { FLAGS_BOOTSTRAP_FILE: join(flagsDir, 'flags.yml') });
  const { server } = bench;
  try {
    const channel = await postGraphQL(
      server.url,
      `mutation { createChannel(input: { name: "bench-peer", type: "webhook", config: { url: "${peer.url}/hook" } }) { id } }`,
      BOOTSTRAP,
    );
    const route = await postGraphQL(
      server.url,
      `mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channel.data.createChannel.id}"] }) { id } }`,
      BOOTSTRAP,
    );
    // As an Alertmanager whose config AlertAgent manages sends: its cluster's endpoint and webhook token.
    const cluster = await postGraphQL(
      server.url,
      `mutation { createCluster(input: { name: "bench", alertmanagerUrls: ["http://127.0.0.1:9"] }) { webhookToken } }`,
      BOOTSTRAP,
    );
    const webhookToken: string = cluster.data.createCluster.webhookToken;
    const webhook = server.url.replace('/graphql', '/api/v1/alerts/alertmanager/bench');
    console.log(
      `\nGateway at saturation: wrk (${SATURATION_CONNECTIONS} connections, ${SATURATION_SECONDS} s) → server → channel peer, separate processes, PostgreSQL + Redis:`,
    );
    console.log(await saturate('bare forwarder, 1 alert/request', `${forwarder.url}/`, peer, forwarder.child.pid, 1));
    console.log(await saturate('AlertAgent, 1 alert/request', webhook, peer, server.child.pid, 1, webhookToken));
    console.log(await saturate('bare forwarder, 50 alerts/request', `${forwarder.url}/`, peer, forwarder.child.pid, 50));
    console.log(await saturate('AlertAgent, 50 alerts/request', webhook, peer, server.child.pid, 50, webhookToken));
    // The same with a message per alert, as the forwarder sends: 50 deliveries per request.
    const perAlert = async (on: boolean) => {
      const updated = await postGraphQL(
        server.url,
        `mutation { updateRoute(id: "${route.data.createRoute.id}", input: { name: "all", isDefault: true, perAlert: ${on}, channelIds: ["${channel.data.createChannel.id}"] }) { id } }`,
        BOOTSTRAP,
      );
      if (updated.errors) throw new Error(`updateRoute: ${JSON.stringify(updated.errors)}`);
      await new Promise((r) => setTimeout(r, 1_000));
    };
    await perAlert(true);
    console.log(
      await saturate(
        'bare forwarder, 50 alerts/request, POST per alert',
        `${perAlertForwarder.url}/`,
        peer,
        perAlertForwarder.child.pid,
        50,
      ),
    );
    console.log(await saturate('AlertAgent, 50 alerts/request, message per alert', webhook, peer, server.child.pid, 50, webhookToken));
    await perAlert(false);
    console.log(
      `\nSame path at a fixed offered load (open loop, ${PACED_SECONDS} s each after ${PACED_WARMUP_SECONDS} s unmeasured): latency without saturation backlog:`,
    );
    console.log(
      line(
        `bare forwarder, ${PACED_SINGLE_RATE} alerts/s as 1/request`,
        await measuringCpu(forwarder.child.pid, () => drivePaced(`${forwarder.url}/`, peer.url, PACED_SINGLE_RATE, PACED_SECONDS, 1)),
      ),
    );
    console.log(
      line(
        `AlertAgent, ${PACED_SINGLE_RATE} alerts/s as 1/request`,
        await measuringCpu(server.child.pid, () => drivePaced(webhook, peer.url, PACED_SINGLE_RATE, PACED_SECONDS, 1, webhookToken)),
      ),
    );
    console.log(
      line(
        `bare forwarder, ${PACED_BATCH_RATE * 50} alerts/s as 50/request`,
        await measuringCpu(forwarder.child.pid, () => drivePaced(`${forwarder.url}/`, peer.url, PACED_BATCH_RATE, PACED_SECONDS, 50)),
      ),
    );
    console.log(
      line(
        `AlertAgent, ${PACED_BATCH_RATE * 50} alerts/s as 50/request`,
        await measuringCpu(server.child.pid, () => drivePaced(webhook, peer.url, PACED_BATCH_RATE, PACED_SECONDS, 50, webhookToken)),
      ),
    );

    // The same fixed load with every alert also sent for analysis to a provider that never answers.
    const provider = await postGraphQL(
      server.url,
      `mutation { createAnalysisProvider(input: { name: "hanging", type: "openai", config: { baseUrl: "${hanging.url}/v1", model: "m" }, timeoutMs: 600000 }) { id } }`,
      BOOTSTRAP,
    );
    const channelId = channel.data.createChannel.id;
    await postGraphQL(
      server.url,
      `mutation { updateRoute(id: "${route.data.createRoute.id}", input: { name: "all", isDefault: true, channelIds: ["${channelId}"], analysisProviderId: "${provider.data.createAnalysisProvider.id}" }) { id } }`,
      BOOTSTRAP,
    );
    console.log(`\nAnalysis on, the provider hanging (every delivered alert queued for analysis; flag analysis.enabled):`);
    console.log(
      line(
        `AlertAgent, ${PACED_SINGLE_RATE} alerts/s as 1/request`,
        await measuringCpu(server.child.pid, () => drivePaced(webhook, peer.url, PACED_SINGLE_RATE, PACED_SECONDS, 1, webhookToken)),
      ),
    );
    console.log(
      line(
        `AlertAgent, ${PACED_BATCH_RATE * 50} alerts/s as 50/request`,
        await measuringCpu(server.child.pid, () => drivePaced(webhook, peer.url, PACED_BATCH_RATE, PACED_SECONDS, 50, webhookToken)),
      ),
    );
    await bench.stop();
    await embeddedSaturation(peer);
  } finally {
    await bench.stop();
    forwarder.child.kill();
    perAlertForwarder.child.kill();
    peer.child.kill();
    hanging.child.kill();
    rmSync(flagsDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runGatewayBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
