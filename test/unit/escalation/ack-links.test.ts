import { AckLinks } from '../../../src/services/escalation/ack-links';

const key = Buffer.alloc(32, 7);
const links = new AckLinks(key, () => 'https://alertagent.example.com');
const target = { kind: 'alert' as const, fingerprint: 'a1b2c3d4e5f6a7b8', startsAt: '2026-12-07T10:00:00.000Z' };
const now = new Date('2026-12-07T10:05:00Z');

describe('ack links', () => {
  it('carries what it acknowledges and whom it was sent to, until it expires', () => {
    const token = links.token(target, 'channel:oncall', 3_600, now);
    expect(links.check(token, now)).toMatchObject({
      ok: true,
      claim: { target, sentTo: 'channel:oncall', expiresAt: new Date('2026-12-07T11:05:00Z') },
    });
    expect(links.check(token, new Date('2026-12-07T11:04:59Z')).ok).toBe(true);
    expect(links.check(token, new Date('2026-12-07T11:05:00Z'))).toEqual({ ok: false, reason: 'expired' });
    expect(links.url(target, 'channel:oncall', 60, now)).toMatch(
      /^https:\/\/alertagent\.example\.com\/ack\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/,
    );
  });

  it('gives every link its own nonce, so each can be used once', () => {
    const a = links.check(links.token(target, 'x', 60, now), now);
    const b = links.check(links.token(target, 'x', 60, now), now);
    expect(a.ok && b.ok && a.claim.nonce !== b.claim.nonce).toBe(true);
  });

  it('refuses a link whose payload was changed, one signed with another key, and garbage', () => {
    const token = links.token(target, 'channel:oncall', 3_600, now);
    const [payload, signature] = token.split('.');
    const changed = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), e: 4_000_000_000 })).toString(
      'base64url',
    );
    expect(links.check(`${changed}.${signature}`, now)).toEqual({ ok: false, reason: 'forged' });
    expect(new AckLinks(Buffer.alloc(32, 8), () => '').check(token, now)).toEqual({ ok: false, reason: 'forged' });
    for (const bad of ['', 'abc', 'a.b.c', `${payload}.`, '..', `${'a'.repeat(3_000)}.b`]) expect(links.check(bad, now).ok).toBe(false);
    const notJson = `${Buffer.from('not json').toString('base64url')}`;
    const signed = new AckLinks(key, () => '');
    // A well-signed payload that is not a claim is malformed, not trusted.
    const sign = (p: string) => (signed as unknown as { sign(p: string): string }).sign(p);
    expect(links.check(`${notJson}.${sign(notJson)}`, now)).toEqual({ ok: false, reason: 'malformed' });
  });
});
