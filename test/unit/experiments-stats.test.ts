import { compareArms, meanEstimate, shareEstimate, type EpisodeOutcome } from '../../src/services/experiments/experiment-stats';

/** A deterministic stream of outcomes: a seeded generator, so the test says the same every run. */
function stream(seed: number, count: number, ackMean: number, notifications: number): EpisodeOutcome[] {
  let state = seed;
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, () => {
    // Exponential times to ack around the mean, as on-call answers look.
    const ack = -Math.log(1 - random()) * ackMean;
    return {
      notifications: notifications + Math.floor(random() * 2),
      timeToAckSeconds: random() < 0.9 ? ack : null,
      timeToResolveSeconds: ack + 600 * random(),
      rated: 1,
      negative: random() < 0.2 ? 1 : 0,
    };
  });
}

describe('A/B statistics of routing experiments', () => {
  it('estimates a mean and a share with 95 % intervals', () => {
    expect(meanEstimate([])).toEqual({ n: 0, mean: null, low: null, high: null });
    const e = meanEstimate([10, 12, 14, 16]);
    expect(e.mean).toBe(13);
    expect(e.low!).toBeCloseTo(13 - 1.96 * Math.sqrt(20 / 3 / 4), 6);
    const s = shareEstimate(0, 10);
    expect(s.mean).toBe(0);
    expect(s.low).toBe(0);
    expect(s.high!).toBeGreaterThan(0.2); // Wilson does not claim certainty from 10 samples
  });

  it('picks the arm acknowledged faster from a simulated outcome stream', () => {
    const verdict = compareArms(stream(1, 120, 300, 3), stream(2, 120, 150, 3), 20);
    expect(verdict.winner).toBe('B');
    expect(verdict.reason).toBe('arm B is acknowledged faster (95 % confidence)');
    expect(verdict.arms[1].timeToAckSeconds.mean!).toBeLessThan(verdict.arms[0].timeToAckSeconds.mean!);
  });

  it('falls back to fewer notifications when acknowledgement times do not differ', () => {
    const verdict = compareArms(stream(3, 150, 200, 5), stream(3, 150, 200, 2), 20);
    expect(verdict.winner).toBe('B');
    expect(verdict.reason).toContain('fewer notifications per episode');
  });

  it('names no winner when the arms are alike, or too small to tell', () => {
    expect(compareArms(stream(4, 150, 200, 3), stream(5, 150, 200, 3), 20).winner).toBeNull();
    const small = compareArms(stream(6, 5, 600, 9), stream(7, 5, 10, 1), 20);
    expect(small).toMatchObject({ winner: null, reason: 'fewer than 20 acknowledged episodes in an arm; keep the experiment running' });
  });
});
