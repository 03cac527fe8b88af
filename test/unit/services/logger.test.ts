import { Writable } from 'node:stream';
import { createLogger, setLogLevel } from '../../../src/shared/logger';

describe('logger', () => {
  it('lets component and request loggers follow a level change of the root (config hot reload)', () => {
    const root = createLogger('info');
    const component = root.child({ component: 'queue' });
    const request = component.child({ requestId: 'r1' });
    expect(request.isLevelEnabled('debug')).toBe(false);
    setLogLevel(root, 'debug');
    expect(component.isLevelEnabled('debug')).toBe(true);
    expect(request.isLevelEnabled('debug')).toBe(true);
    setLogLevel(root, 'error');
    expect(request.isLevelEnabled('warn')).toBe(false);
  });

  it('hides fields named like secrets, nested too, and keeps the rest', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger('info', {}, sink).child({ component: 'test' });
    logger.info(
      {
        headers: { Authorization: 'Bearer aat_one', accept: 'application/json' },
        created: { token: 'aat_two', name: 'ci' },
        channel: { config: { webhookSecret: 'SEC_three', smtp_password: 'pw_four' } },
        'x-api-key': 'key_five',
        tokens: 812,
        config: { database: { url: 'postgres://u:pw_six@db/x' } },
      },
      'x',
    );
    const line = JSON.parse(lines.join('')) as Record<string, any>;
    for (const secret of ['aat_one', 'aat_two', 'SEC_three', 'pw_four', 'key_five', 'pw_six']) expect(lines.join('')).not.toContain(secret);
    expect(line.headers.accept).toBe('application/json');
    expect(line.created.name).toBe('ci');
    expect(line.tokens).toBe(812);
    expect(line.component).toBe('test');
  });
});
