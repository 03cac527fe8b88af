import { runChannelsBench } from './channels.bench';
import { runGatewayBench } from './gateway.bench';
import { runGraphQLBench } from './graphql.bench';
import { runRulesBench } from './rules.bench';
import { runIsolationBench } from './isolation.bench';
import { runSubscriptionsBench } from './subscriptions.bench';
import { runStormBench } from './storm.bench';
import { runReplayBench } from './replay.bench';
import { runStorageBench } from './storage.bench';
import { runConsoleBench } from './console.bench';

/** `npm run bench`: every benchmark, figures on stdout. */
async function main(): Promise<void> {
  console.log(`AlertAgent benchmarks — node ${process.version}, ${new Date().toISOString()}\n`);
  await runGraphQLBench();
  await runChannelsBench();
  await runGatewayBench();
  await runRulesBench();
  await runIsolationBench();
  await runSubscriptionsBench();
  await runStormBench();
  await runReplayBench();
  await runStorageBench();
  await runConsoleBench();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
