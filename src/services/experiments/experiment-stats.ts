/** A mean with its 95 % confidence interval (normal approximation), over n samples. */
export interface Estimate {
  n: number;
  mean: number | null;
  low: number | null;
  high: number | null;
}

const Z95 = 1.96;

export function meanEstimate(values: number[]): Estimate {
  const n = values.length;
  if (n === 0) return { n, mean: null, low: null, high: null };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, low: null, high: null };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const half = Z95 * Math.sqrt(variance / n);
  return { n, mean, low: mean - half, high: mean + half };
}

/** A share of `hits` in `n` with its Wilson 95 % interval (sound for small n and shares near 0 or 1). */
export function shareEstimate(hits: number, n: number): Estimate {
  if (n === 0) return { n, mean: null, low: null, high: null };
  const p = hits / n;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { n, mean: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Which of two estimates is lower with 95 % confidence (Welch's difference of means): 'A', 'B',
 * or null when the difference may be chance or either side has fewer than `minSamples`.
 */
export function clearlyLower(a: number[], b: number[], minSamples: number): 'A' | 'B' | null {
  if (a.length < minSamples || b.length < minSamples) return null;
  const ea = meanEstimate(a);
  const eb = meanEstimate(b);
  const variance = (values: number[], mean: number) => values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  const se = Math.sqrt(variance(a, ea.mean!) / a.length + variance(b, eb.mean!) / b.length);
  const diff = ea.mean! - eb.mean!;
  if (se === 0) return diff === 0 ? null : diff < 0 ? 'A' : 'B';
  if (Math.abs(diff) <= Z95 * se) return null;
  return diff < 0 ? 'A' : 'B';
}

/** One episode (an alert's firing episode) as an experiment arm saw it. */
export interface EpisodeOutcome {
  notifications: number;
  timeToAckSeconds: number | null;
  timeToResolveSeconds: number | null;
  /** Rated analyses of it, and how many were rated not useful. */
  rated: number;
  negative: number;
}

export interface ArmReport {
  arm: 'A' | 'B';
  episodes: number;
  notificationsPerEpisode: Estimate;
  timeToAckSeconds: Estimate;
  timeToResolveSeconds: Estimate;
  negativeFeedback: Estimate;
}

export interface ExperimentVerdict {
  arms: [ArmReport, ArmReport];
  winner: 'A' | 'B' | null;
  reason: string;
}

/**
 * Compares the arms: the faster acknowledgement wins when the difference is clear; if it is not,
 * fewer notifications per episode; otherwise no winner yet.
 */
export function compareArms(a: EpisodeOutcome[], b: EpisodeOutcome[], minSamples: number): ExperimentVerdict {
  const report = (arm: 'A' | 'B', outcomes: EpisodeOutcome[]): ArmReport => ({
    arm,
    episodes: outcomes.length,
    notificationsPerEpisode: meanEstimate(outcomes.map((o) => o.notifications)),
    timeToAckSeconds: meanEstimate(outcomes.flatMap((o) => (o.timeToAckSeconds === null ? [] : [o.timeToAckSeconds]))),
    timeToResolveSeconds: meanEstimate(outcomes.flatMap((o) => (o.timeToResolveSeconds === null ? [] : [o.timeToResolveSeconds]))),
    negativeFeedback: shareEstimate(
      outcomes.reduce((s, o) => s + o.negative, 0),
      outcomes.reduce((s, o) => s + o.rated, 0),
    ),
  });
  const arms: [ArmReport, ArmReport] = [report('A', a), report('B', b)];
  const acks = (outcomes: EpisodeOutcome[]) => outcomes.flatMap((o) => (o.timeToAckSeconds === null ? [] : [o.timeToAckSeconds]));
  const byAck = clearlyLower(acks(a), acks(b), minSamples);
  if (byAck) return { arms, winner: byAck, reason: `arm ${byAck} is acknowledged faster (95 % confidence)` };
  const byNoise = clearlyLower(
    a.map((o) => o.notifications),
    b.map((o) => o.notifications),
    minSamples,
  );
  if (byNoise)
    return {
      arms,
      winner: byNoise,
      reason: `no clear difference in time to acknowledge; arm ${byNoise} sends fewer notifications per episode (95 % confidence)`,
    };
  const few = Math.min(acks(a).length, acks(b).length) < minSamples;
  return {
    arms,
    winner: null,
    reason: few ? `fewer than ${minSamples} acknowledged episodes in an arm; keep the experiment running` : 'no clear difference yet',
  };
}
