import { loadConfig, type Config } from '../../src/config';
import { TEST_ENCRYPTION_KEY } from './env';

/** Builds config the way the CLI does, from environment-style variables, quiet unless TEST_LOG_LEVEL is set. */
export function testConfig(env: Record<string, string | undefined>): Config {
  return loadConfig({ env: { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', PORT: '0', ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ...env } });
}
