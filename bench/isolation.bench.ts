import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parse } from 'graphql';
import { Agent, request } from 'undici';
import { loadConfig } from '../src/config';
import { operationCost } from '../src/graphql/cost';
import { buildAppSchema } from '../src/schema/build-schema';
import { validPayload } from '../test/support/alerts';
import { postGraphQL } from '../test/support/cli-process';
import { metricValue } from '../test/support/metrics';
import { CHANNEL_PEER, spawnScript, startBenchServer } from './support';

const BOOTSTRAP = 'bench-isolation-bootstrap-token-0123456789';
const SECONDS = Number(process.env.BENCH_ISOLATION_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ISOLATION_ROUNDS ?? 3);
const WARM_UP_SECONDS = 5;
const WEBHOOK_RATE = Number(process.env.BENCH_ISOLATION_RATE ?? 200);
const VIEWER_WORKERS = Number(process.env.BENCH_ISOLATION_VIEWERS ?? 4);

/**
 * The viewer, in its own process at the lowest CPU priority: on one small machine its parsing of
 * large answers would otherwise compete with the server for the same cores (a real dashboard runs
 * elsewhere), and in the bench's own process it would delay the load being measured. VIEWERS loops of the worst queries until UNTIL, honouring
 * Retry-After; prints counts and the median latency as JSON.
 */
const VIEWER = `
const [url, token, viewers, until, queries] = [process.argv[1], process.argv[2], Number(process.argv[3]), Number(process.argv[4]), JSON.parse(process.argv[5])];
const latencies = []; let limited = 0; let refused = null;
Promise.all(Array.from({ length: viewers }, async (_, w) => {
  for (let q = w; Date.now() < until; q += 1) {
    const started = performance.now();
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify({ query: queries[q % queries.length] }) });
    const answer = await r.json();
    if (r.status === 429) { limited++; await new Promise((res) => setTimeout(res, 1000 * Number(r.headers.get('retry-after') || 1))); }
    else if (r.status !== 200 || answer.errors) { refused = r.status + ' ' + JSON.stringify(answer.errors).slice(0, 300); }
    else latencies.push(performance.now() - started);
  }
})).then(() => { latencies.sort((a, b) => a - b); console.log(JSON.stringify({ answered: latencies.length, limited, refused, p50: latencies[Math.floor(latencies.length / 2)] ?? null })); });`;

const RECORD_FIELDS =
  'id receiptId fingerprint status alertname severity cluster labels annotations startsAt endsAt receivedAt routedAt firstDeliveredAt state routeNames deliveryIds generatorUrl';
/** Shapes of expensive reads: every field of many records over ten roots, one long list, records that each load their analyses. */
const SHAPES: Array<(limit: number) => string> = [
  (limit) =>
    `{ ${Array.from({ length: 10 }, (_, i) => `r${i}: alertRecords(limit: ${limit}, offset: ${i * limit}) { total items { ${RECORD_FIELDS} } }`).join(' ')} }`,
  (limit) => `{ alertRecords(limit: ${limit}) { items { ${RECORD_FIELDS} } } }`,
  (limit) =>
    `{ ${Array.from({ length: 10 }, (_, i) => `r${i}: alertRecords(limit: ${limit}, offset: ${i * limit}) { items { id analyses { id status rootCause } } }`).join(' ')} }`,
];

/** The most a viewer may ask for in one operation: each shape at the largest limit the cost model lets through. */
async function worstAllowedQueries(): Promise<string[]> {
  const schema = await buildAppSchema();
  const maxCost = loadConfig({ env: {} }).graphql.costLimits.viewer;
  return SHAPES.map((shape) => {
    let limit = 1;
    while (limit < 500 && operationCost(schema, parse(shape(limit + 1)), {}) <= maxCost) limit += 1;
    return shape(limit);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

function runViewer(url: string, token: string, until: number, queries: string[]): Promise<unknown> {
  const child = spawn('nice', [
    '-n',
    '19',
    process.execPath,
    '-e',
    VIEWER,
    url,
    token,
    String(VIEWER_WORKERS),
    String(until),
    JSON.stringify(queries),
  ]);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`viewer exited ${code}`)))),
  );
}

interface Phase {
  webhookP50: number;
  webhookP99: number;
  deliveryP50: number;
  deliveryP99: number;
  viewerQueries: number;
  viewerLimited: number;
  viewerP50: number;
  lagP99: number;
  lagMax: number;
  /** Webhooks answered after more than 50 ms as the sender saw it, and as the server measured its own handling. */
  overLimitClient: number;
  overLimitServer: number;
  /** The sender's own event-loop delay: a late sender would show up as a slow server. */
  senderLagMax: number;
}

/**
 * `npm run bench:isolation`: the webhook's latency at a fixed rate, alone and while a viewer runs
 * its worst allowed GraphQL query as fast as its limits let it (VIEWER_WORKERS at once, the most
 * it may have running). GraphQL's cost model, per-caller budget and running slots are what keep
 * the two apart; the aim is the webhook's p99 within 50 ms of its unloaded value.
 */
export async function runIsolationBench(): Promise<void> {
  const peer = await spawnScript(CHANNEL_PEER);
  // The test helper lifts the per-caller budgets for tests that poll; the bench measures the defaults.
  const defaults = loadConfig({ env: {} }).graphql;
  const bench = await startBenchServer(BOOTSTRAP, {
    GRAPHQL_COST_PER_SECOND: String(defaults.costPerSecond),
    GRAPHQL_COST_PER_MINUTE: String(defaults.costPerMinute),
  });
  const { server } = bench;
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 60_000 });
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
    // A new viewer each round: every round meets a caller with its whole minute's budget unspent.
    const newViewer = async (round: number) =>
      (
        await postGraphQL(
          server.url,
          `mutation { createApiToken(input: { name: "dashboard-${round}", role: VIEWER }) { token } }`,
          BOOTSTRAP,
        )
      ).data.createApiToken.token as string;
    const webhookUrl = server.url.replace('/graphql', '/api/v1/alerts/alertmanager');
    const metricsUrl = server.url.replace('/graphql', '/metrics');
    /** The server's event-loop delay since the last scrape (prom-client resets it on each). */
    const loopLag = async () => {
      const text = await (await request(metricsUrl, { dispatcher })).body.text();
      const value = (name: string) => (metricValue(text, `alertagent_nodejs_eventloop_lag_${name}_seconds`) ?? NaN) * 1000;
      return { p99: value('p99'), max: value('max') };
    };
    /** How many webhooks the server has answered, and how many of those took it over 50 ms (its own measure). */
    const serverAnswers = async () => {
      const text = await (await request(metricsUrl, { dispatcher })).body.text();
      const bucket = (le: string) =>
        text
          .split('\n')
          .filter(
            (l) =>
              l.startsWith('alertagent_http_request_duration_seconds_bucket{') &&
              l.includes(`le="${le}"`) &&
              l.includes('route="/api/v1/alerts/alertmanager"') &&
              l.includes('status="200"'),
          )
          .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      return { all: bucket('+Inf'), within50: bucket('0.05') };
    };
    let sequence = 0;
    const post = async (alerts: number): Promise<number> => {
      const payload = validPayload();
      const n = sequence++;
      payload.groupKey = `{}:{n="${n}"}`;
      payload.alerts = Array.from({ length: alerts }, (_, i) => ({
        ...payload.alerts[0],
        labels: { ...payload.alerts[0].labels, instance: `n-${n}-${i}` },
        annotations: { ...payload.alerts[0].annotations, sentAt: String(Date.now()), description: 'x'.repeat(400) },
        fingerprint: `${n.toString(16).padStart(8, '0')}${i.toString(16).padStart(8, '0')}`,
      }));
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
    // Records for the viewer to read: 5,000 alerts.
    for (let i = 0; i < 100; i += 1) await post(50);
    const worst = await worstAllowedQueries();
    // Measuring starts once the seed's deliveries are done, so no phase carries the seed's tail.
    for (let seen = 0; seen < 5_000; ) {
      await new Promise((r) => setTimeout(r, 200));
      seen = ((await (await request(peer.url, { dispatcher })).body.json()) as { alerts: number }).alerts;
    }

    const phase = async (viewer: string | null, seconds = SECONDS): Promise<Phase> => {
      await request(`${peer.url}/reset`, { method: 'POST', dispatcher }).then((r) => r.body.dump());
      await loopLag(); // resets the server's event-loop delay histogram
      const answersBefore = await serverAnswers();
      const ownLoop = monitorEventLoopDelay({ resolution: 5 });
      ownLoop.enable();
      const latencies: number[] = [];
      const until = Date.now() + seconds * 1000;
      const viewers = viewer ? [runViewer(server.url, viewer, until, worst)] : [];
      const sends: Array<Promise<void>> = [];
      const interval = 1000 / WEBHOOK_RATE;
      const start = performance.now();
      for (let i = 0; Date.now() < until; i += 1) {
        const due = start + i * interval;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sends.push(post(1).then((ms) => void latencies.push(ms)));
      }
      const [viewerResult] = await Promise.all([...viewers, Promise.all(sends)]);
      const lag = await loopLag();
      const answersAfter = await serverAnswers();
      ownLoop.disable();
      await new Promise((r) => setTimeout(r, 1000));
      const delivery = (await (await request(peer.url, { dispatcher })).body.json()) as { p50: number; p99: number };
      const sorted = latencies.sort((a, b) => a - b);
      const seen = (viewerResult ?? { answered: 0, limited: 0, refused: null, p50: NaN }) as {
        answered: number;
        limited: number;
        refused: string | null;
        p50: number;
      };
      if (seen.refused) throw new Error(`the worst allowed query was refused: ${seen.refused}`);
      return {
        webhookP50: percentile(sorted, 0.5),
        webhookP99: percentile(sorted, 0.99),
        deliveryP50: delivery.p50,
        deliveryP99: delivery.p99,
        viewerQueries: seen.answered,
        viewerLimited: seen.limited,
        viewerP50: seen.p50,
        lagP99: lag.p99,
        lagMax: lag.max,
        senderLagMax: ownLoop.max / 1e6,
        overLimitClient: latencies.filter((x) => x > 50).length,
        overLimitServer: answersAfter.all - answersAfter.within50 - (answersBefore.all - answersBefore.within50),
      };
    };

    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const line = (label: string, p: Phase) =>
      `  ${label} webhook answer p50 ${ms(p.webhookP50)}, p99 ${ms(p.webhookP99)}; send→channel p50 ${p.deliveryP50} ms, p99 ${p.deliveryP99} ms; server event-loop delay p99 ${ms(p.lagP99)}, max ${ms(p.lagMax)}; answers over 50 ms: ${p.overLimitClient} seen by the sender, ${p.overLimitServer} by the server; sender's own event-loop delay max ${ms(p.senderLagMax)}`;
    console.log(
      `GraphQL isolation — webhook at ${WEBHOOK_RATE}/s; ${ROUNDS} rounds of ${SECONDS} s alone then ${SECONDS} s beside a viewer running its worst allowed query, ${VIEWER_WORKERS} at once`,
    );
    // Unmeasured: the first heavy queries compile code paths and fill caches a running server has warm.
    await phase(await newViewer(0), WARM_UP_SECONDS);
    const alone: Phase[] = [];
    const loaded: Phase[] = [];
    // Alternating rounds: a machine whose speed drifts (shared hosts do) shifts both sides alike.
    for (let round = 1; round <= ROUNDS; round += 1) {
      alone.push(await phase(null));
      console.log(line(`round ${round} alone:      `, alone[alone.length - 1]));
      loaded.push(await phase(await newViewer(round)));
      const p = loaded[loaded.length - 1];
      console.log(line(`round ${round} with viewer:`, p));
      console.log(
        `    viewer: ${p.viewerQueries} worst allowed queries answered (p50 ${ms(p.viewerP50)}), ${p.viewerLimited} answered 429 (budgets, turns of heavy operations)`,
      );
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const aloneP99 = median(alone.map((p) => p.webhookP99));
    const loadedP99 = median(loaded.map((p) => p.webhookP99));
    console.log(`  worst allowed queries: ${worst.map((q) => `${q.slice(0, 60)}…`).join(' | ')}`);
    console.log(
      `  median webhook p99: alone ${ms(aloneP99)}, with viewer ${ms(loadedP99)}; difference ${ms(loadedP99 - aloneP99)} (aim: within 50 ms)`,
    );
    console.log(
      `  median send→channel p99: alone ${median(alone.map((p) => p.deliveryP99))} ms, with viewer ${median(loaded.map((p) => p.deliveryP99))} ms\n`,
    );
  } finally {
    await dispatcher.close();
    await bench.stop();
    peer.child.kill();
  }
}

if (require.main === module) {
  runIsolationBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
