import type { DeliveryRepository } from './delivery.repository';

export type ChannelHealthStatus = 'healthy' | 'degraded' | 'down' | 'unknown';

export interface ChannelHealth {
  status: ChannelHealthStatus;
  windowMinutes: number;
  attempts: number;
  successRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  lastError: string | null;
  lastErrorAt: Date | null;
}

/** Judges a channel from its recent attempts: success rate and latency over a sliding window. */
export class ChannelHealthService {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly windowMinutes: number,
  ) {}

  async health(channelId: string, now = new Date()): Promise<ChannelHealth> {
    const since = new Date(now.getTime() - this.windowMinutes * 60_000);
    const figures = await this.deliveries.healthSince(channelId, since);
    const successRate = figures.attempts > 0 ? figures.successes / figures.attempts : null;
    return {
      status: judge(successRate, figures.recentFailures),
      windowMinutes: this.windowMinutes,
      attempts: figures.attempts,
      successRate,
      p50LatencyMs: figures.p50Ms,
      p95LatencyMs: figures.p95Ms,
      lastError: figures.lastError,
      lastErrorAt: figures.lastErrorAt,
    };
  }
}

/** Three failures in a row mean down whatever the window says; otherwise the success rate decides. */
function judge(successRate: number | null, recentFailures: number): ChannelHealthStatus {
  if (recentFailures >= 3) return 'down';
  if (successRate === null) return 'unknown';
  if (successRate < 0.5) return 'down';
  if (successRate < 0.95) return 'degraded';
  return 'healthy';
}
