import { Client } from 'pg';
import { postGraphQL } from '../test/support/cli-process';
import { startBenchServer } from './support';

const BOOTSTRAP = 'bench-replay-bootstrap-token-0123456789';
const RECEIPTS = Number(process.env.BENCH_REPLAY_RECEIPTS ?? 200_000);
const DAYS = 30;
const FROM = '2026-10-01T00:00:00Z';

/**
 * A month of recorded traffic written straight into the receipts table: every notification twice
 * (an HA pair), three alerts each (a node's alerts on one of 200 nodes in 4 clusters), firing and
 * later resolved, as Alertmanager reports them.
 */
async function recordTraffic(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `insert into "alert_receipt" ("id", "received_at", "group_key", "receiver", "status", "alert_count", "truncated_alerts", "source", "payload")
       select gen_random_uuid(), timestamptz '${FROM}' + make_interval(secs => (n / 2) * ${(DAYS * 86_400) / (RECEIPTS / 2)} + (n % 2) * 0.05), g, 'alertagent', st, 3, 0, 'bench',
              jsonb_build_object('version', '4', 'groupKey', g, 'truncatedAlerts', 0, 'status', st, 'receiver', 'alertagent',
                'groupLabels', jsonb_build_object('alertname', 'NodeDown'), 'commonLabels', '{}'::jsonb, 'commonAnnotations', '{}'::jsonb,
                'externalURL', 'http://am-' || (n % 2) || ':9093',
                'alerts', (select jsonb_agg(jsonb_build_object('status', st, 'labels', jsonb_build_object('alertname', a, 'cluster', 'c' || (node % 4), 'node', 'n' || node, 'severity', 'warning'),
                  'annotations', '{}'::jsonb, 'startsAt', '2026-10-01T00:00:00Z', 'endsAt', '0001-01-01T00:00:00Z', 'generatorURL', '', 'fingerprint', a || '-' || node))
                  from unnest(array['NodeDown', 'KubeletDown', 'TargetDown']) as a))
         from (select n, (n / 2) % 200 as node, '{}:{node="' || ((n / 2) % 200) || '"}' as g, case when (n / 400) % 3 = 2 then 'resolved' else 'firing' end as st
                 from generate_series(0, ${RECEIPTS - 1}) as n) s`,
    );
  } finally {
    await client.end();
  }
}

async function replay(url: string, proposal: string | null): Promise<{ ms: number; result: any }> {
  const to = new Date(Date.parse(FROM) + DAYS * 86_400_000).toISOString();
  const started = Date.now();
  const made = await postGraphQL(
    url,
    `mutation { simulateGateway(from: "${FROM}", to: "${to}"${proposal ? `, proposal: { ${proposal} }` : ''}) { id } }`,
    BOOTSTRAP,
  );
  if (made.errors) throw new Error(JSON.stringify(made.errors));
  for (;;) {
    const got = await postGraphQL(
      url,
      `{ gatewaySimulation(id: "${made.data.simulateGateway.id}") { state error receiptsDone result { alerts notifications { simulated } incidents { simulatedOpened } } } }`,
      BOOTSTRAP,
    );
    const sim = got.data?.gatewaySimulation;
    if (sim?.state === 'COMPLETED') return { ms: Date.now() - started, result: sim.result };
    if (!sim || sim.state === 'FAILED' || sim.state === 'CANCELLED') throw new Error(`replay ended ${JSON.stringify(got)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** How fast simulateGateway replays a month of recorded traffic, phase 1 and with every phase-2 flag proposed. */
export async function runReplayBench(): Promise<void> {
  const bench = await startBenchServer(BOOTSTRAP, { LOG_LEVEL: 'error' });
  try {
    const { url } = bench.server;
    const channel = await postGraphQL(
      url,
      `mutation { createChannel(input: { name: "oncall", type: "webhook", config: { url: "http://127.0.0.1:9/never" } }) { id } }`,
      BOOTSTRAP,
    );
    const channelId = channel.data.createChannel.id;
    await postGraphQL(
      url,
      `mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channelId}"] }) { id } }`,
      BOOTSTRAP,
    );
    const writing = Date.now();
    await recordTraffic(bench.databaseUrl);
    console.log(
      `\nReplay (simulateGateway): ${RECEIPTS.toLocaleString('en')} receipts (${(RECEIPTS * 3).toLocaleString('en')} alerts) over ${DAYS} days, written in ${((Date.now() - writing) / 1000).toFixed(1)} s:`,
    );
    const everything =
      'flags: [{ name: "gateway.grouping", enabled: true }, { name: "gateway.inhibition", enabled: true }, { name: "gateway.advanced-convergence", enabled: true }, { name: "gateway.convergence", enabled: true }], ' +
      'correlationPolicies: [{ name: "node", labels: ["cluster", "node"] }], ' +
      'inhibitionRules: [{ name: "node-down", sourceMatchers: ["alertname=\\"NodeDown\\""], targetMatchers: ["alertname=~\\"KubeletDown|TargetDown\\""], equal: ["cluster", "node"] }], ' +
      `routes: [{ name: "all", isDefault: true, channelIds: ["${channelId}"], groupIntervalSeconds: 300 }]`;
    const modes: Array<[string, string | null]> = [
      ['phase 1 (in force)', null],
      ['every phase-2 flag, a policy, an inhibition rule, a route window', everything],
    ];
    let reference = 0;
    for (const [name, proposal] of modes) {
      const { ms, result } = await replay(url, proposal);
      const rate = RECEIPTS / (ms / 1000);
      reference ||= rate;
      console.log(
        `  ${name.padEnd(66)} ${(ms / 1000).toFixed(1).padStart(6)} s  ${Math.round(rate).toLocaleString('en').padStart(7)} receipts/s (${(rate / reference).toFixed(2)}× phase 1)  ` +
          `${result.notifications.simulated.toLocaleString('en')} messages, ${result.incidents.simulatedOpened} incidents`,
      );
    }
  } finally {
    await bench.stop();
  }
}

if (require.main === module) {
  runReplayBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
