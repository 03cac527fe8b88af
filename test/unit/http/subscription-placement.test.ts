import { ConfigError } from '../../../src/config';
import { subscriptionPlacement } from '../../../src/http/subscription-process';
import { testConfig } from '../../support/app-config';

const PRODUCTION = { DATABASE_URL: 'postgres://127.0.0.1/x', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('where graphql-ws is served (WS_PROCESS)', () => {
  it('auto: a process of its own with PostgreSQL and Redis, the serve process otherwise', () => {
    expect(subscriptionPlacement(testConfig({ ...PRODUCTION, WS_PROCESS: 'auto' }))).toBe('own');
    expect(subscriptionPlacement(testConfig({ DATABASE_URL: PRODUCTION.DATABASE_URL, WS_PROCESS: 'auto' }))).toBe('inline');
    expect(subscriptionPlacement(testConfig({ REDIS_URL: PRODUCTION.REDIS_URL, WS_PROCESS: 'auto' }))).toBe('inline');
    expect(subscriptionPlacement(testConfig({ WS_PROCESS: 'auto' }))).toBe('inline');
  });

  it('inline wherever asked; own refused without what the child shares, naming the setting', () => {
    expect(subscriptionPlacement(testConfig({ ...PRODUCTION, WS_PROCESS: 'inline' }))).toBe('inline');
    expect(subscriptionPlacement(testConfig({ ...PRODUCTION, WS_PROCESS: 'own' }))).toBe('own');
    expect(() => subscriptionPlacement(testConfig({ WS_PROCESS: 'own' }))).toThrow(ConfigError);
    expect(() => subscriptionPlacement(testConfig({ WS_PROCESS: 'own' }))).toThrow(/WS_PROCESS.*needs database.url and redis.url/);
    expect(() => testConfig({ WS_PROCESS: 'separate' })).toThrow(/subscriptionProcess/);
  });
});
