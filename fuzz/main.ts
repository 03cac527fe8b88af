import { formatReport, runFuzz, type FuzzMode } from './run';

/**
 * `npm run fuzz`: generated webhooks and hostile GraphQL operations against a real `serve` in each
 * storage mode; prints answers by status and error code. Exits 1 on any 5xx, any INTERNAL error,
 * any request left unanswered, or a server that no longer stores and answers at the end.
 * FUZZ_WEBHOOKS (10000), FUZZ_GRAPHQL (2000), FUZZ_SEED, FUZZ_MODES (postgres,embedded), FUZZ_CONCURRENCY (16).
 */
async function main(): Promise<void> {
  const options = {
    webhooks: Number(process.env.FUZZ_WEBHOOKS ?? 10_000),
    graphql: Number(process.env.FUZZ_GRAPHQL ?? 2_000),
    seed: Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000),
    modes: (process.env.FUZZ_MODES ?? 'postgres,embedded').split(',') as FuzzMode[],
    concurrency: Number(process.env.FUZZ_CONCURRENCY ?? 16),
  };
  console.log(`AlertAgent fuzz — ${options.webhooks} webhooks and ${options.graphql} GraphQL operations per mode, seed ${options.seed}\n`);
  const started = Date.now();
  const reports = await runFuzz(options);
  for (const report of reports) console.log(`${formatReport(report)}\n`);
  console.log(`${Math.round((Date.now() - started) / 1000)} s`);
  if (reports.some((r) => r.failures > 0 || !r.aliveAtEnd)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
