// One-shot setup of the demo stack, run after AlertAgent is up: a webhook channel to the echo
// server, a default route to it, the cluster "demo" (its Alertmanager and Prometheus), and a rule
// group with an alert that always fires. Safe to run again (a second `docker compose up`): what
// exists is kept, and the sidecar token is only issued anew when its file is missing.
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';

const server = process.env.ALERTAGENT_URL ?? 'http://alertagent:4000';
const token = readFileSync(process.env.ADMIN_TOKEN_FILE ?? '/keys/admin-token', 'utf8').trim();
const tokenFile = process.env.SIDECAR_TOKEN_FILE ?? '/keys/sidecar-token';
const echoUrl = process.env.ECHO_URL ?? 'http://echo:8080/alertagent';
const cluster = {
  name: process.env.CLUSTER_NAME ?? 'demo',
  alertmanagerUrls: [process.env.ALERTMANAGER_URL ?? 'http://alertmanager:9093'],
  prometheusUrls: [process.env.PROMETHEUS_URL ?? 'http://prometheus:9090'],
  syncIntervalSeconds: 10,
};
const DEMO_RULES = `name: alertagent-demo
rules:
  - alert: AlertAgentDemo
    # Always true: shows an alert travelling Prometheus -> Alertmanager -> AlertAgent -> channel.
    expr: vector(1)
    labels:
      severity: warning
    annotations:
      summary: The demo stack works end to end
`;

async function gql(query, variables = {}) {
  const response = await fetch(`${server}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(`${query.split('(')[0].trim()}: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data;
}

async function waitForServer() {
  for (let attempt = 1; ; attempt += 1) {
    try {
      if ((await fetch(`${server}/readyz`)).ok) return;
    } catch {
      // not up yet
    }
    if (attempt === 90) throw new Error(`${server} did not become ready in 3 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

function say(what) {
  console.log(`setup: ${what}`);
}

await waitForServer();

const channels = (await gql('{ channels(search: "demo-echo") { items { id name } } }')).channels.items;
let channelId = channels.find((c) => c.name === 'demo-echo')?.id;
if (channelId) say('channel demo-echo exists');
else {
  channelId = (await gql('mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }', { i: { name: 'demo-echo', type: 'webhook', config: { url: echoUrl } } })).createChannel.id;
  say(`channel demo-echo created (${echoUrl})`);
}

const routes = (await gql('{ routes { items { id name isDefault } } }')).routes.items;
if (routes.some((r) => r.isDefault)) say('a default route exists');
else {
  await gql('mutation($i: RouteInput!) { createRoute(input: $i) { id } }', { i: { name: 'everything', isDefault: true, channelIds: [channelId] } });
  say('default route "everything" created');
}

const existing = (await gql('{ clusters { items { id name } } }')).clusters.items.find((c) => c.name === cluster.name);
let sidecarToken = null;
if (!existing) {
  sidecarToken = (await gql('mutation($i: CreateClusterInput!) { createCluster(input: $i) { sidecarToken } }', { i: cluster })).createCluster.sidecarToken;
  say(`cluster ${cluster.name} created`);
} else if (!existsSync(tokenFile)) {
  // The cluster outlived the token file (a volume removed): only a new token helps, and it is shown once.
  sidecarToken = (await gql('mutation($id: ID!) { rotateClusterCredentials(id: $id) { sidecarToken } }', { id: existing.id })).rotateClusterCredentials.sidecarToken;
  say(`cluster ${cluster.name} exists; its credentials were rotated because ${tokenFile} was missing`);
} else say(`cluster ${cluster.name} exists`);
if (sidecarToken) {
  writeFileSync(`${tokenFile}.new`, `${sidecarToken}\n`, { mode: 0o600 });
  renameSync(`${tokenFile}.new`, tokenFile);
}

const groups = (await gql('{ ruleGroups { items { name } } }')).ruleGroups.items;
if (groups.some((g) => g.name === 'alertagent-demo')) say('rule group alertagent-demo exists');
else {
  await gql('mutation($i: CreateRuleGroupInput!) { createRuleGroup(input: $i) { id } }', { i: { yaml: DEMO_RULES, targets: [`cluster="${cluster.name}"`], message: 'demo stack' } });
  say('rule group alertagent-demo created');
}
say('done');
