import { backoffDelay } from '../../../src/shared/backoff';

describe('backoffDelay', () => {
  const policy = { baseMs: 100, maxMs: 1_000, jitter: 0 };

  it('doubles with each retry from the base', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy))).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds the cap, however many retries', () => {
    expect(backoffDelay(5, policy)).toBe(1_000);
    expect(backoffDelay(500, policy)).toBe(1_000);
  });

  it('takes jitter off the top, within the configured fraction', () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(backoffDelay(3, jittered, () => 0)).toBe(400);
    expect(backoffDelay(3, jittered, () => 0.999)).toBe(200);
  });
});
