import { formatReport, runFuzz } from '../../fuzz/run';

/**
 * `npm run fuzz` at a size CI can afford (the full run: 10,000 webhooks and 2,000 GraphQL operations
 * per mode). Hostile and malformed input never gets a 5xx or INTERNAL, and the server still stores
 * and answers afterwards, on PostgreSQL and on the embedded database.
 */
describe('fuzzing the webhook and the GraphQL API', () => {
  it('answers every generated request with 2xx or 4xx, in both storage modes', async () => {
    const reports = await runFuzz({ webhooks: 800, graphql: 400, seed: 20261129, modes: ['postgres', 'embedded'], concurrency: 16 });
    for (const report of reports) console.log(formatReport(report));
    for (const report of reports) {
      expect({ mode: report.mode, failures: report.failures, examples: report.examples }).toEqual({
        mode: report.mode,
        failures: 0,
        examples: [],
      });
      expect(report.aliveAtEnd).toBe(true);
    }
  }, 300_000);
});
