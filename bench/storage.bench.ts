import { Client } from 'pg';
import { postGraphQL, runCli } from '../test/support/cli-process';
import { TEST_ENCRYPTION_KEY } from '../test/support/env';
import { CHANNEL_PEER, spawnScript, startBenchServer } from './support';

const BOOTSTRAP = 'bench-storage-bootstrap-token-0123456789';
const PER_DAY = Number(process.env.BENCH_STORAGE_ALERTS_PER_DAY ?? 5_000);
const DAYS = Number(process.env.BENCH_STORAGE_DAYS ?? 10);
const RETENTION_DAYS = 3;
const TABLES = ['alert_receipt', 'alert_record', 'delivery', 'delivery_attempt'];

async function sizes(client: Client): Promise<{ bytes: number; rows: number }> {
  const bytes = (
    await client.query(`select sum(pg_total_relation_size(c.oid))::bigint as b from pg_class c where c.relname = any($1)`, [TABLES])
  ).rows[0].b;
  const rows = (await client.query(`select count(*)::int as n from "alert_record"`)).rows[0].n;
  return { bytes: Number(bytes), rows };
}

/** One day of alerts: 50 per webhook, each alert its own message, until every one is recorded. */
async function day(url: string, client: Client, dayIndex: number): Promise<void> {
  const before = (await client.query(`select count(*)::int as n from "alert_record"`)).rows[0].n as number;
  for (let request = 0; request < PER_DAY / 50; request += 1) {
    const alerts = Array.from({ length: 50 }, (_, i) => {
      const n = request * 50 + i;
      return {
        status: 'firing',
        labels: {
          alertname: `StorageBench${n % 40}`,
          severity: n % 7 === 0 ? 'critical' : 'warning',
          instance: `node-${n % 500}:9100`,
          job: 'node',
          cluster: `c${n % 4}`,
        },
        annotations: { summary: `disk ${(n % 100).toString()}% full on node-${n % 500}`, runbook_url: 'https://runbooks.example.com/disk' },
        startsAt: new Date(Date.now() - 60_000).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=disk',
        fingerprint: `${dayIndex.toString(16).padStart(4, '0')}${n.toString(16).padStart(12, '0')}`,
      };
    });
    const body = {
      version: '4',
      groupKey: `{}:{day="${dayIndex}",r="${request}"}`,
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'alertagent',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://am:9093',
      alerts,
    };
    const response = await fetch(`${url.replace('/graphql', '')}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
  }
  for (;;) {
    const n = (await client.query(`select count(*)::int as n from "alert_record" where "state" <> 'received'`)).rows[0].n as number;
    if (n >= before + PER_DAY) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Bytes per stored alert (receipt, record, delivery and its attempt), and the database under
 * retention over many days: each simulated day posts alerts through the webhook, moves every
 * stored timestamp a day back, runs the retention (`alertagent prune`), then a plain VACUUM as
 * autovacuum would between days. The size grows for the retention period, then levels off.
 */
export async function runStorageBench(): Promise<void> {
  const env = {
    RETENTION_RECEIPTS_DAYS: String(RETENTION_DAYS),
    RETENTION_RECORDS_DAYS: String(RETENTION_DAYS),
    RETENTION_DELIVERIES_DAYS: String(RETENTION_DAYS),
  };
  const bench = await startBenchServer(BOOTSTRAP, env);
  const peer = await spawnScript(CHANNEL_PEER);
  const client = new Client({ connectionString: bench.databaseUrl });
  await client.connect();
  try {
    const { url } = bench.server;
    const channel = await postGraphQL(
      url,
      `mutation { createChannel(input: { name: "peer", type: "webhook", config: { url: "${peer.url}" } }) { id } }`,
      BOOTSTRAP,
    );
    await postGraphQL(
      url,
      `mutation { createRoute(input: { name: "all", isDefault: true, perAlert: true, channelIds: ["${channel.data.createChannel.id}"] }) { id } }`,
      BOOTSTRAP,
    );
    const empty = await sizes(client);
    console.log(
      `\nStorage: ${PER_DAY.toLocaleString('en')} alerts a day through the webhook (50 per request, one message each), retention ${RETENTION_DAYS} days, ${DAYS} simulated days:`,
    );
    for (let d = 1; d <= DAYS; d += 1) {
      await day(url, client, d);
      const stored = await sizes(client);
      if (d === 1)
        console.log(
          `  bytes per stored alert (receipt + record + delivery + attempt, with indexes): ${Math.round((stored.bytes - empty.bytes) / PER_DAY).toLocaleString('en')}`,
        );
      for (const [table, column] of [
        ['alert_receipt', 'received_at'],
        ['alert_receipt', 'processed_at'],
        ['alert_record', 'received_at'],
        ['delivery', 'created_at'],
      ]) {
        await client.query(`update "${table}" set "${column}" = "${column}" - interval '1 day' where "${column}" is not null`);
      }
      const pruned = await runCli(['prune'], {
        ...env,
        DATABASE_URL: bench.databaseUrl,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        LOG_LEVEL: 'error',
      });
      if (pruned.code !== 0) throw new Error(`prune failed: ${pruned.stderr}`);
      const removed = Object.fromEntries(
        pruned.stdout
          .trim()
          .split('\n')
          .map((line) => line.trim().split(/\s+/))
          .map(([k, v]) => [k, Number(v)]),
      );
      await client.query(`vacuum ${TABLES.map((t) => `"${t}"`).join(', ')}`);
      const after = await sizes(client);
      console.log(
        `  day ${String(d).padStart(2)}  records kept ${after.rows.toLocaleString('en').padStart(7)}  pruned ${String(removed.records ?? 0).padStart(6)} records ${String(removed.receipts ?? 0).padStart(5)} receipts ${String(removed.deliveries ?? 0).padStart(6)} deliveries  size ${(after.bytes / 1024 / 1024).toFixed(1).padStart(6)} MB`,
      );
    }
  } finally {
    await client.end();
    peer.child.kill();
    await bench.stop();
  }
}

if (require.main === module) {
  runStorageBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
