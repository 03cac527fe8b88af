import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { postGraphQL } from '../test/support/cli-process';
import { startBenchServer } from './support';
import { alertmanagerNotifications, stormAlerts, type StormNotification } from './storm';

const BOOTSTRAP = 'bench-storm-bootstrap-token-0123456789';
/** Real milliseconds per simulated second: 5 replays an hour of storm in 18 s. */
const MS_PER_SECOND = Number(process.env.BENCH_STORM_MS_PER_SECOND ?? 5);
const STORM_SECONDS = 3600;
/** Alertmanager's defaults, except repeat_interval (4 h) compressed to fit the run. */
const TIMING = { groupWait: 30, groupInterval: 300, repeatInterval: 600, replicaLag: 2 };
const UPDATE_INTERVAL_SECONDS = 300;
const REOPEN_GRACE_SECONDS = 900;
/** Modes with a resolve hold: an incident's resolution waits until nothing has fired again for 10 minutes. */
const RESOLVE_HOLD_SECONDS = 600;
/** Flap damping: 4 changes within an hour make an alert flapping; 15 minutes steady settle it (the defaults). */
const FLAP_WINDOW_SECONDS = 3600;
const FLAP_QUIET_SECONDS = 900;

interface Mode {
  name: string;
  flags: string[];
  policies: boolean;
  inhibition: boolean;
  /** The default route has a route window (Alertmanager's group timers, across clusters). */
  routeWindow?: boolean;
  /** The correlation policies hold resolutions (resolveHoldSeconds). */
  resolveHold?: boolean;
}

/**
 * The route window's timers, compressed like the storm: group_wait 30 s and group_interval 300 s
 * (whole seconds, so 0 and 2 s at 5 ms per simulated second); repeat at its least, 60 s, which
 * is longer than the replayed hour.
 */
const ROUTE_WINDOW = {
  groupWaitSeconds: Math.round((30 * MS_PER_SECOND) / 1000),
  groupIntervalSeconds: Math.max(1, Math.round((300 * MS_PER_SECOND) / 1000)),
  repeatIntervalSeconds: Math.max(60, Math.round((3600 * MS_PER_SECOND) / 1000)),
};
const routeWindowArgs = `groupWaitSeconds: ${ROUTE_WINDOW.groupWaitSeconds}, groupIntervalSeconds: ${ROUTE_WINDOW.groupIntervalSeconds}, repeatIntervalSeconds: ${ROUTE_WINDOW.repeatIntervalSeconds}`;

const MODES: Mode[] = [
  { name: 'phase 1 (pass-through)', flags: [], policies: false, inhibition: false },
  { name: 'phase 1 + gateway.convergence', flags: ['gateway.convergence'], policies: false, inhibition: false },
  { name: 'gateway.inhibition', flags: ['gateway.inhibition'], policies: false, inhibition: true },
  { name: 'gateway.grouping', flags: ['gateway.grouping'], policies: true, inhibition: false },
  { name: 'gateway.advanced-convergence', flags: ['gateway.advanced-convergence'], policies: false, inhibition: false },
  { name: 'grouping + inhibition', flags: ['gateway.grouping', 'gateway.inhibition'], policies: true, inhibition: true },
  {
    name: 'phase 2: grouping + flap damping',
    flags: ['gateway.grouping', 'gateway.advanced-convergence'],
    policies: true,
    inhibition: false,
  },
  {
    name: 'phase 2: all',
    flags: ['gateway.grouping', 'gateway.inhibition', 'gateway.advanced-convergence'],
    policies: true,
    inhibition: true,
  },
  {
    name: 'grouping + inhibition + resolve hold',
    flags: ['gateway.grouping', 'gateway.inhibition'],
    policies: true,
    inhibition: true,
    resolveHold: true,
  },
  {
    name: 'phase 2: all + resolve hold',
    flags: ['gateway.grouping', 'gateway.inhibition', 'gateway.advanced-convergence'],
    policies: true,
    inhibition: true,
    resolveHold: true,
  },
  {
    name: 'route windows (+ flap damping)',
    flags: ['gateway.advanced-convergence'],
    policies: false,
    inhibition: false,
    routeWindow: true,
  },
  {
    name: 'phase 2: all + route windows',
    flags: ['gateway.grouping', 'gateway.inhibition', 'gateway.advanced-convergence'],
    policies: true,
    inhibition: true,
    routeWindow: true,
  },
];

/** The channel: records each message and when it arrived. */
async function startPeer(): Promise<{ server: Server; url: string; messages: Array<{ at: number; payload: any }> }> {
  const messages: Array<{ at: number; payload: any }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      messages.push({ at: Date.now(), payload: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/hook`, messages };
}

function webhookBody(n: StormNotification, runStart: number): string {
  const iso = (second: number) => new Date(runStart + second * MS_PER_SECOND).toISOString();
  return JSON.stringify({
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: 0,
    status: n.alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: 'alertagent',
    groupLabels: n.groupLabels,
    commonLabels: n.groupLabels,
    commonAnnotations: {},
    externalURL: `http://alertmanager-${n.replica}:9093`,
    alerts: n.alerts.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: iso(a.startsAt),
      endsAt: a.status === 'resolved' ? iso(a.endsAt!) : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: a.fingerprint,
    })),
  });
}

/** A mode's correlation policies as GraphQL input literals, their times compressed like the storm. */
function policyInputs(mode: Mode): string[] {
  if (!mode.policies) return [];
  const compressed = (seconds: number) => Math.round((seconds * MS_PER_SECOND) / 1000);
  const timing = `updateIntervalSeconds: ${Math.max(1, compressed(UPDATE_INTERVAL_SECONDS))}, reopenGraceSeconds: ${compressed(REOPEN_GRACE_SECONDS)}${mode.resolveHold ? `, resolveHoldSeconds: ${compressed(RESOLVE_HOLD_SECONDS)}` : ''}`;
  return [
    ['node', '["cluster", "node"]'],
    ['service', '["cluster", "namespace"]'],
  ].map(([name, labels]) => `{ name: "${name}", labels: ${labels}, ${timing} }`);
}

function proposalParts(mode: Mode, channelId: string): string {
  const policies = `correlationPolicies: [${policyInputs(mode).join(', ')}]`;
  const rules = mode.inhibition ? `inhibitionRules: [${INHIBITION_RULE}]` : 'inhibitionRules: []';
  const routes = `routes: [{ name: "all", isDefault: true, channelIds: ["${channelId}"]${mode.routeWindow ? `, ${routeWindowArgs}` : ''} }]`;
  return `${policies}, ${rules}, ${routes}`;
}

const INHIBITION_RULE = `{ name: "node-down", sourceMatchers: ["alertname=\\"NodeDown\\""], targetMatchers: ["alertname=~\\"KubeletDown|TargetDown|KubePodNotReady|KubeContainerWaiting\\""], equal: ["cluster", "node"] }`;

/** Replays the run's recorded receipts (simulateGateway) and answers the notifications it predicts and those really delivered. */
async function replay(
  url: string,
  from: number,
  to: number,
  proposal: string | null,
): Promise<{ simulated: number; actual: number; ms: number; differences: string }> {
  const started = Date.now();
  const made = await postGraphQL(
    url,
    `mutation { simulateGateway(from: "${new Date(from).toISOString()}", to: "${new Date(to).toISOString()}"${proposal ? `, proposal: { ${proposal} }` : ''}) { id } }`,
    BOOTSTRAP,
  );
  if (made.errors) throw new Error(JSON.stringify(made.errors));
  for (;;) {
    const got = await postGraphQL(
      url,
      `{ gatewaySimulation(id: "${made.data.simulateGateway.id}") { state error result { notifications { simulated actual } byKind { kind simulated actual } } } }`,
      BOOTSTRAP,
    );
    const sim = got.data?.gatewaySimulation;
    if (sim?.state === 'COMPLETED') {
      const differences = (sim.result.byKind as Array<{ kind: string; simulated: number; actual: number }>)
        .filter((k) => k.simulated !== k.actual)
        .map((k) => `${k.kind} ${k.simulated} vs ${k.actual}`)
        .join(', ');
      return { ...sim.result.notifications, ms: Date.now() - started, differences };
    }
    if (!sim || sim.state === 'FAILED' || sim.state === 'CANCELLED') throw new Error(`replay ended ${JSON.stringify(got)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One alert through the mode's whole path before the measured hour (a policy takes it, no rule
 * holds it; it keeps firing, so its incident says nothing more): first notices are then measured
 * on a server that has been running, not on its first request. Outside the replayed range.
 */
async function warmUp(webhook: string, dispatcher: Agent, messages: unknown[]): Promise<void> {
  const labels = { alertname: 'BenchWarmUp', cluster: 'warm-up', node: 'warm-up', namespace: 'warm-up', severity: 'info' };
  const body: StormNotification = {
    at: 0,
    replica: 0,
    groupKey: '{}:{alertname="BenchWarmUp"}',
    groupLabels: { alertname: 'BenchWarmUp' },
    alerts: [{ labels, annotations: {}, fingerprint: 'bench-warm-up', startsAt: 0, endsAt: null, incident: 'warm-up', status: 'firing' }],
  };
  const answer = await request(webhook, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BOOTSTRAP}` },
    body: webhookBody(body, Date.now()),
    dispatcher,
  });
  await answer.body.text();
  for (const deadline = Date.now() + 10_000; messages.length === 0 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
  if (messages.length === 0) throw new Error('the warm-up alert never reached the channel');
  await new Promise((r) => setTimeout(r, 1_500));
  messages.length = 0;
}

/** Predictions made on the phase-1 run's receipts for every mode: what a replay before rollout would have said. */
const predictedFromPhase1 = new Map<string, number>();

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function runMode(
  mode: Mode,
  notifications: StormNotification[],
  incidentOf: Map<string, string>,
  incidents: string[],
): Promise<{ line: string; latencies: number[] }> {
  const peer = await startPeer();
  const flagsDir = mkdtempSync(join(tmpdir(), 'aa-bench-storm-'));
  writeFileSync(join(flagsDir, 'flags.yml'), `${mode.flags.map((f) => `${f}: true`).join('\n')}\n`);
  const bench = await startBenchServer(BOOTSTRAP, {
    FLAGS_BOOTSTRAP_FILE: join(flagsDir, 'flags.yml'),
    GATEWAY_CONVERGENCE_WINDOW_MS: String(UPDATE_INTERVAL_SECONDS * MS_PER_SECOND),
    GATEWAY_SWEEP_INTERVAL_MS: '1000',
    GATEWAY_FLAP_WINDOW_MS: String(FLAP_WINDOW_SECONDS * MS_PER_SECOND),
    GATEWAY_FLAP_QUIET_MS: String(FLAP_QUIET_SECONDS * MS_PER_SECOND),
    // The default, Alertmanager's group_interval, compressed like the storm.
    GATEWAY_INHIBITION_RELEASE_WAIT_MS: String(TIMING.groupInterval * MS_PER_SECOND),
  });
  const { server } = bench;
  const dispatcher = new Agent({ connections: 16 });
  try {
    const channel = await postGraphQL(
      server.url,
      `mutation { createChannel(input: { name: "oncall", type: "webhook", config: { url: "${peer.url}" } }) { id } }`,
      BOOTSTRAP,
    );
    const channelId = channel.data.createChannel.id;
    const routed = await postGraphQL(
      server.url,
      `mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channelId}"]${mode.routeWindow ? `, ${routeWindowArgs}` : ''} }) { id } }`,
      BOOTSTRAP,
    );
    if (routed.errors) throw new Error(JSON.stringify(routed.errors));
    for (const policy of policyInputs(mode)) {
      const made = await postGraphQL(server.url, `mutation { createCorrelationPolicy(input: ${policy}) { id } }`, BOOTSTRAP);
      if (made.errors) throw new Error(JSON.stringify(made.errors));
    }
    if (mode.inhibition) {
      const made = await postGraphQL(server.url, `mutation { createInhibitionRule(input: ${INHIBITION_RULE}) { id } }`, BOOTSTRAP);
      if (made.errors) throw new Error(JSON.stringify(made.errors));
    }
    const webhook = server.url.replace('/graphql', '/api/v1/alerts/alertmanager');
    await warmUp(webhook, dispatcher, peer.messages);
    const runStart = Date.now() + 500;
    const firstSent = new Map<string, number>();
    const sends: Array<Promise<void>> = [];
    let refused = 0;
    for (const n of notifications) {
      const due = runStart + n.at * MS_PER_SECOND;
      const wait = due - Date.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const sentAt = Date.now();
      for (const a of n.alerts) if (a.status === 'firing' && !firstSent.has(a.incident)) firstSent.set(a.incident, sentAt);
      sends.push(
        request(webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${BOOTSTRAP}` },
          body: webhookBody(n, runStart),
          dispatcher,
        }).then(async (r) => {
          await r.body.text();
          if (r.statusCode !== 200) refused += 1;
        }),
      );
    }
    await Promise.all(sends);
    // Updates, resolutions and flap summaries still due, and a sweep.
    const tail = Math.max(2 * UPDATE_INTERVAL_SECONDS, FLAP_QUIET_SECONDS, RESOLVE_HOLD_SECONDS + UPDATE_INTERVAL_SECONDS);
    await new Promise((r) => setTimeout(r, tail * MS_PER_SECOND + 2_000));

    // BENCH_STORM_DEBUG=1 lists every message the channel got: when (simulated), its incident notice, its alerts.
    if (process.env.BENCH_STORM_DEBUG)
      for (const m of peer.messages)
        console.log(
          `    ${((m.at - runStart) / MS_PER_SECOND).toFixed(0).padStart(5)} s ${m.payload.status} ${JSON.stringify(m.payload.incident ?? null)} ` +
            (m.payload.alerts ?? []).map((a: any) => `${a.labels.alertname}:${a.status}`).join(' '),
        );
    const perIncident = new Map<string, number>(incidents.map((i) => [i, 0]));
    const firstArrival = new Map<string, number>();
    for (const m of peer.messages) {
      const touched = new Set<string>(
        (m.payload.alerts ?? []).map((a: { fingerprint: string }) => incidentOf.get(a.fingerprint)).filter(Boolean),
      );
      for (const incident of touched) {
        perIncident.set(incident, (perIncident.get(incident) ?? 0) + 1);
        if (!firstArrival.has(incident)) firstArrival.set(incident, m.at);
      }
    }
    // What a replay of this run's receipts predicts with the configuration in force, against what was delivered.
    const recorded = { from: runStart - 1_000, to: Date.now() };
    const self = await replay(server.url, recorded.from, recorded.to, null);
    if (mode.flags.length === 0) {
      for (const other of MODES) {
        const flags = MODES.flatMap((m) => m.flags).filter((f, i, all) => all.indexOf(f) === i);
        const proposal = `flags: [${flags.map((f) => `{ name: "${f}", enabled: ${other.flags.includes(f)} }`).join(', ')}], ${proposalParts(other, channelId)}`;
        predictedFromPhase1.set(other.name, (await replay(server.url, recorded.from, recorded.to, proposal)).simulated);
      }
    }
    const latencies = incidents
      .filter((i) => firstArrival.has(i) && firstSent.has(i))
      .map((i) => firstArrival.get(i)! - firstSent.get(i)!)
      .sort((a, b) => a - b);
    if (process.env.BENCH_STORM_DEBUG)
      console.log(
        `    first notice: ${incidents.map((i) => `${i} ${(firstArrival.get(i) ?? NaN) - (firstSent.get(i) ?? NaN)} ms`).join(', ')}`,
      );
    const noFirst = incidents.filter((i) => !firstArrival.has(i));
    const counts = incidents.map((i) => `${i} ${perIncident.get(i)}`).join(', ');
    const mean = [...perIncident.values()].reduce((a, b) => a + b, 0) / incidents.length;
    const line =
      `  ${mode.name.padEnd(34)} ${String(peer.messages.length).padStart(4)} notifications  ${mean.toFixed(1).padStart(5)} per incident  ` +
      `no first notice ${noFirst.length}${noFirst.length ? ` (${noFirst.join(', ')})` : ''}  first notice p50 ${percentile(latencies, 0.5)} / p99 ${percentile(latencies, 0.99)} ms` +
      `${refused ? `  refused ${refused}` : ''}\n      per incident: ${counts}` +
      `\n      replay of this run's receipts: predicts ${self.simulated}, delivered ${self.actual}${self.differences ? ` (${self.differences})` : ''} in ${self.ms} ms; replay of the phase-1 run's receipts with this mode proposed predicted ${predictedFromPhase1.get(mode.name) ?? '-'}`;
    return { line, latencies };
  } finally {
    await dispatcher.close();
    await bench.stop();
    peer.server.close();
    rmSync(flagsDir, { recursive: true, force: true });
  }
}

/** The storm replayed against each mode: phase 1, and each phase-2 flag on. */
export async function runStormBench(): Promise<void> {
  const alerts = stormAlerts();
  const notifications = alertmanagerNotifications(alerts, TIMING, STORM_SECONDS);
  const incidentOf = new Map(alerts.map((a) => [a.fingerprint, a.incident]));
  const incidents = [...new Set(alerts.map((a) => a.incident))];
  console.log(
    `\nStorm: ${alerts.length} alerts in ${incidents.length} incidents, ${notifications.length} webhook posts from an HA pair of Alertmanagers ` +
      `(group_wait ${TIMING.groupWait} s, group_interval ${TIMING.groupInterval} s, repeat_interval ${TIMING.repeatInterval} s), ${STORM_SECONDS / 60} simulated minutes replayed ` +
      `in ${(STORM_SECONDS * MS_PER_SECOND) / 1000} s; incident update interval ${UPDATE_INTERVAL_SECONDS} s, reopen grace ${REOPEN_GRACE_SECONDS} s, ` +
      `flapping at 4 changes within ${FLAP_WINDOW_SECONDS} s, settled after ${FLAP_QUIET_SECONDS} s, resolve hold (where named) ${RESOLVE_HOLD_SECONDS} s (simulated); route windows (real seconds) ${routeWindowArgs}:`,
  );
  // BENCH_STORM_MODES="gateway.grouping,phase 2: all" runs only those modes (by name).
  const only = process.env.BENCH_STORM_MODES?.split(',').map((m) => m.trim());
  const modes = MODES.filter((m) => !only || only.includes(m.name));
  // BENCH_STORM_ROUNDS=3 runs the modes in turn that often and pools each mode's first-notice
  // latencies: six incidents a run make a p99 that is just the slowest of six.
  const rounds = Number(process.env.BENCH_STORM_ROUNDS ?? 1);
  const pooled = new Map<string, number[]>(modes.map((m) => [m.name, []]));
  for (let round = 1; round <= rounds; round += 1) {
    if (rounds > 1) console.log(`round ${round} of ${rounds}:`);
    for (const mode of modes) {
      const { line, latencies } = await runMode(mode, notifications, incidentOf, incidents);
      console.log(line);
      pooled.get(mode.name)!.push(...latencies);
    }
  }
  if (rounds < 2) return;
  const reference = pooled.get(modes[0].name)!.sort((a, b) => a - b);
  console.log(`
First-notice latency pooled over ${rounds} rounds (ratios against ${modes[0].name}):`);
  for (const mode of modes) {
    const sorted = pooled.get(mode.name)!.sort((a, b) => a - b);
    const ratio = (p: number) => (percentile(sorted, p) / percentile(reference, p)).toFixed(2);
    console.log(
      `  ${mode.name.padEnd(34)} ${sorted.length} first notices  p50 ${percentile(sorted, 0.5)} ms (${ratio(0.5)}×)  p90 ${percentile(sorted, 0.9)} ms (${ratio(0.9)}×)  p99 ${percentile(sorted, 0.99)} ms (${ratio(0.99)}×)`,
    );
  }
}

if (require.main === module) {
  runStormBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
