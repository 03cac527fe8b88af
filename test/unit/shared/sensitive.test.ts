import { HIDDEN, isSensitiveKey, redactSensitiveFields, redactSettings } from '../../../src/shared/sensitive';

describe('isSensitiveKey: one rule for configuration, CLI, logger and analysis context', () => {
  it.each([
    'webhookSecret',
    'smtp_password',
    'passwd',
    'x-api-key',
    'apiKey',
    'Authorization',
    'cookie',
    'sessionId',
    'encryptionKey',
    'previousEncryptionKeys',
    'privateKey',
    'bootstrapToken',
    'credentials',
    'passphrase',
  ])('%s is sensitive', (key) => expect(isSensitiveKey(key)).toBe(true));

  it.each(['passThrough', 'bypass', 'url', 'name', 'host', 'keyPrefix', 'alertname', 'count'])('%s is not', (key) =>
    expect(isSensitiveKey(key)).toBe(false),
  );
});

describe('redactSensitiveFields', () => {
  it('hides values of sensitive keys down to three levels and keeps numbers, booleans and everything else', () => {
    const fields = {
      msg: 'x',
      token: 'aat_1',
      tokens: 812,
      secretSet: true,
      a: { password: 'p', b: { apiKey: 'k', c: { secret: 'too deep to look at' } } },
    };
    expect(redactSensitiveFields(fields)).toEqual({
      msg: 'x',
      token: HIDDEN,
      tokens: 812,
      secretSet: true,
      a: { password: HIDDEN, b: { apiKey: HIDDEN, c: { secret: 'too deep to look at' } } },
    });
    expect(fields.token).toBe('aat_1');
  });

  it('hands back the very same object when nothing needs hiding (a log line costs no copy)', () => {
    const fields = { component: 'queue', attempt: 2, nested: { url: 'http://x' } };
    expect(redactSensitiveFields(fields)).toBe(fields);
  });

  it('leaves errors and arrays as they are', () => {
    const err = new Error('boom');
    const fields = { err, list: [{ token: 'in an array' }] };
    expect(redactSensitiveFields(fields)).toBe(fields);
  });
});

describe('redactSettings', () => {
  it('hides sensitive settings and the credentials inside URLs', () => {
    expect(
      redactSettings({ database: { url: 'postgres://u:pw@db:5432/x?sslmode=require' }, auth: { jwtSecret: 's' }, port: 4000 }),
    ).toEqual({
      database: { url: 'postgres://u:***@db:5432/x?sslmode=***' },
      auth: { jwtSecret: HIDDEN },
      port: 4000,
    });
  });
});
