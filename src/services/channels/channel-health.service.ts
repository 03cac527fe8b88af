import type { ChannelEntity } from '../../entities/channels/channel.entity';
import type { DeliveryRepository } from './delivery.repository';
import { policyOf, type ChannelSlo } from './delivery-policy';

export type ChannelHealthStatus = 'healthy' | 'degraded' | 'down' | 'unknown';
export type ChannelSloStatus = 'met' | 'breached' | 'insufficient_data';

export interface ChannelSloState {
  status: ChannelSloStatus;
  target: ChannelSlo;
  attempts: number;
  successRate: number | null;
  p95LatencyMs: number | null;
  /** Since when the SLO has been breached, as recorded by the watch. */
  breachedSince: Date | null;
}

export interface ChannelHealth {
  status: ChannelHealthStatus;
  windowMinutes: number;
  attempts: number;
  successRate: number | null;
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** The last scheduled probe, when the channel has them. */
  lastProbe: { ok: boolean; latencyMs: number; detail: string; at: Date } | null;
  slo: ChannelSloState | null;
}

/** How long the delivery path trusts a channel's health status before asking again. */
const STATUS_TTL_MS = 10_000;

/**
 * Judges a channel from its recent attempts (success rate and latency over a sliding window)
 * and its last scheduled probe, and measures it against its SLO when it has one.
 */
export class ChannelHealthService {
  private readonly statuses = new Map<string, { status: ChannelHealthStatus; expires: number }>();

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly windowMinutes: number,
    private readonly load: (channelId: string) => Promise<ChannelEntity | null>,
  ) {}

  async health(channel: ChannelEntity, now = new Date()): Promise<ChannelHealth> {
    const slo = policyOf(channel.deliveryPolicy).slo;
    return { ...(await this.judged(channel, now)), slo: slo ? await this.slo(channel, slo, now) : null };
  }

  /** Health from the recent attempts and the last probe, without the SLO (which reads a window of its own). */
  private async judged(channel: ChannelEntity, now: Date): Promise<Omit<ChannelHealth, 'slo'>> {
    const since = new Date(now.getTime() - this.windowMinutes * 60_000);
    const figures = await this.deliveries.healthSince(channel.id, since);
    const successRate = figures.attempts > 0 ? figures.successes / figures.attempts : null;
    const policy = policyOf(channel.deliveryPolicy);
    const probe = channel.lastProbe ? { ...channel.lastProbe, at: new Date(channel.lastProbe.at) } : null;
    // A probe counts while it is recent: two intervals, so one late probe does not make it stale.
    const recentProbe =
      probe && policy.probeIntervalSeconds && now.getTime() - probe.at.getTime() <= 2 * policy.probeIntervalSeconds * 1000 ? probe : null;
    let status = judge(successRate, figures.recentFailures);
    if (recentProbe && !recentProbe.ok) status = 'down';
    else if (recentProbe && status === 'unknown') status = 'healthy';
    const probeFailedLast = recentProbe && !recentProbe.ok && (!figures.lastErrorAt || recentProbe.at > figures.lastErrorAt);
    return {
      status,
      windowMinutes: this.windowMinutes,
      attempts: figures.attempts,
      successRate,
      p50LatencyMs: figures.p50Ms,
      p95LatencyMs: figures.p95Ms,
      lastError: probeFailedLast ? `probe: ${recentProbe.detail}` : figures.lastError,
      lastErrorAt: probeFailedLast ? recentProbe.at : figures.lastErrorAt,
      lastProbe: probe,
    };
  }

  /** The channel's SLO as it stands: met, breached, or too few attempts in its window to say. */
  async slo(channel: ChannelEntity, slo: ChannelSlo, now = new Date()): Promise<ChannelSloState> {
    const figures = await this.deliveries.healthSince(channel.id, new Date(now.getTime() - slo.windowMinutes * 60_000));
    const successRate = figures.attempts > 0 ? figures.successes / figures.attempts : null;
    const missed =
      (successRate !== null && successRate < slo.successRate) ||
      (slo.p95LatencyMs !== undefined && figures.p95Ms !== null && figures.p95Ms > slo.p95LatencyMs);
    return {
      status: figures.attempts < slo.minAttempts ? 'insufficient_data' : missed ? 'breached' : 'met',
      target: slo,
      attempts: figures.attempts,
      successRate,
      p95LatencyMs: figures.p95Ms,
      breachedSince: channel.sloBreachedAt ?? null,
    };
  }

  /** Drops the kept status of a channel that just failed: whether it is down now is worth asking again. */
  forget(channelId: string): void {
    this.statuses.delete(channelId);
  }

  /** The channel's status for the delivery path, kept for a few seconds. */
  async statusOf(channelId: string): Promise<ChannelHealthStatus> {
    const cached = this.statuses.get(channelId);
    if (cached && cached.expires > Date.now()) return cached.status;
    const channel = await this.load(channelId);
    const status = channel ? (await this.judged(channel, new Date())).status : 'unknown';
    this.statuses.set(channelId, { status, expires: Date.now() + STATUS_TTL_MS });
    return status;
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
