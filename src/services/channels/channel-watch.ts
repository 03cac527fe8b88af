import { RequestContext, type MikroORM } from '@mikro-orm/core';
import { ChannelEntity, type StoredProbe } from '../../entities/channels/channel.entity';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
import { PeriodicTask } from '../shared/periodic-task';
import type { ChannelHealthService, ChannelSloState } from './channel-health.service';
import { policyOf } from './delivery-policy';
import type { DeliveryService } from './delivery.service';
import { channelPlugin } from './registry';

export interface ChannelWatchDeps {
  orm: MikroORM;
  health: ChannelHealthService;
  deliveries: Pick<DeliveryService, 'probe'>;
  events: EventBus;
  metrics: Metrics;
  logger: Logger;
}

/**
 * Keeps watch over channels with a delivery policy that asks for it: runs their scheduled probes
 * (one replica each time, by claiming the channel's probe slot) and judges their SLOs, recording
 * a breach and its end once across replicas and announcing each as a channelSlo event.
 */
export class ChannelWatch {
  private readonly sweeper: PeriodicTask;

  constructor(private readonly deps: ChannelWatchDeps) {
    this.sweeper = new PeriodicTask('channel watch', () => this.round(), deps.logger);
  }

  start(intervalMs: number): void {
    this.sweeper.start(intervalMs, true);
  }

  stop(): void {
    this.sweeper.stop();
  }

  /** One look at every watched channel: due probes first (their result feeds health), then SLOs. */
  async round(now = new Date()): Promise<void> {
    await RequestContext.create(this.deps.orm.em, async () => {
      const em = this.deps.orm.em.fork();
      const watched = (await em.find(ChannelEntity, {}, { orderBy: { name: 'asc' } })).filter((c) => {
        const policy = policyOf(c.deliveryPolicy);
        return policy.slo || policy.probeIntervalSeconds;
      });
      for (const channel of watched) {
        try {
          await this.probeIfDue(channel, now);
          await this.judgeSlo(channel, now);
        } catch (err) {
          this.deps.logger.warn({ err, channel: channel.name }, 'could not watch a channel this round');
        }
      }
    });
  }

  private async probeIfDue(channel: ChannelEntity, now: Date): Promise<void> {
    const interval = policyOf(channel.deliveryPolicy).probeIntervalSeconds;
    if (!interval || !channel.enabled || !channelPlugin(channel.type).probe) return;
    const connection = this.deps.orm.em.getConnection();
    const claimed: unknown[] = await connection.execute(
      `update "channel" set "probed_at" = ? where "id" = ? and ("probed_at" is null or "probed_at" <= ?) returning "id"`,
      [now, channel.id, new Date(now.getTime() - interval * 1000 + 1_000)],
    );
    if (claimed.length === 0) return;
    let probe: StoredProbe;
    try {
      const outcome = await this.deps.deliveries.probe(channel.id);
      probe = { ...outcome, at: new Date().toISOString() };
    } catch (err) {
      probe = { ok: false, latencyMs: 0, detail: (err as Error).message, at: new Date().toISOString() };
    }
    await connection.execute(`update "channel" set "last_probe" = ? where "id" = ?`, [JSON.stringify(probe), channel.id]);
    channel.lastProbe = probe;
    this.deps.metrics.channelProbes.inc({ channel: channel.name, outcome: probe.ok ? 'ok' : 'failed' });
    if (!probe.ok) this.deps.logger.warn({ channel: channel.name, detail: probe.detail }, 'a scheduled channel probe failed');
  }

  private async judgeSlo(channel: ChannelEntity, now: Date): Promise<void> {
    const slo = policyOf(channel.deliveryPolicy).slo;
    if (!slo) return;
    const state = await this.deps.health.slo(channel, slo, now);
    if (state.status === 'insufficient_data') return;
    const breached = state.status === 'breached';
    this.deps.metrics.channelSloBreached.set({ channel: channel.name }, breached ? 1 : 0);
    // Only the replica whose update flips the state announces it.
    const flipped: unknown[] = await this.deps.orm.em
      .getConnection()
      .execute(
        breached
          ? `update "channel" set "slo_breached_at" = ? where "id" = ? and "slo_breached_at" is null returning "id"`
          : `update "channel" set "slo_breached_at" = null where "id" = ? and "slo_breached_at" is not null returning "id"`,
        breached ? [now, channel.id] : [channel.id],
      );
    if (flipped.length === 0) return;
    channel.sloBreachedAt = breached ? now : null;
    this.deps.logger[breached ? 'warn' : 'info'](
      { channel: channel.name, successRate: state.successRate, p95LatencyMs: state.p95LatencyMs },
      breached ? 'channel SLO breached' : 'channel SLO met again',
    );
    await this.deps.events.publish('channel.slo', sloEvent(channel, state, breached, now));
  }
}

function sloEvent(channel: ChannelEntity, state: ChannelSloState, breached: boolean, now: Date) {
  return {
    channelId: channel.id,
    channelName: channel.name,
    breached,
    successRate: state.successRate,
    p95LatencyMs: state.p95LatencyMs,
    attempts: state.attempts,
    target: { ...state.target, p95LatencyMs: state.target.p95LatencyMs ?? null },
    at: now.toISOString(),
  };
}
