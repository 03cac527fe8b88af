import { loadConfig, type Config } from '../../src/config';
import { TEST_ENCRYPTION_KEY } from './env';

/** Tests poll the API fast; the per-caller GraphQL budgets are exercised by the tests of limits, which set their own. */
export const UNTHROTTLED = { GRAPHQL_COST_PER_SECOND: '100000000', GRAPHQL_COST_PER_MINUTE: '1000000000' };

/**
 * Builds config the way the CLI does, from environment-style variables, quiet unless TEST_LOG_LEVEL
 * is set. Test peers listen on loopback, which production mode refuses by default: allowed here
 * unless a test sets its own egress policy.
 */
export function testConfig(env: Record<string, string | undefined>): Config {
  return loadConfig({
    env: {
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      PORT: '0',
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      EGRESS_LOOPBACK: 'allow',
      ...UNTHROTTLED,
      // In-process servers run from TypeScript sources: the subscription process needs the build (see subscription-process tests).
      WS_PROCESS: 'inline',
      ...env,
    },
  });
}
