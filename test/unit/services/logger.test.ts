import { Writable } from 'node:stream';
import pino from 'pino';
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

  it('redacts credentials nested in logged objects', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logger = pino({ redact: { paths: ['*.authorization', '*.token'], censor: '[redacted]' } }, sink);
    logger.info({ headers: { authorization: 'Bearer aat_secret' }, created: { token: 'aat_secret' } }, 'x');
    expect(lines.join('')).not.toContain('aat_secret');
  });
});
