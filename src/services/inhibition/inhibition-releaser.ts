import { createHash } from 'node:crypto';
import { RequestContext, type MikroORM } from '@mikro-orm/core';
import { NotFoundError } from '../../errors';
import type { DeliveryService } from '../channels/delivery.service';
import type { AlertView, ChannelMessage } from '../channels/message';
import { groupForDelivery } from '../gateway/pipeline/routing.stage';
import type { RouteService } from '../gateway/route.service';
import type { Logger } from '../observability/logger';
import type { InhibitionRepository, ReleasedAlert } from './inhibition.repository';

/** A release marked this long ago and still here was cut off by a crash: sent again (same idempotency keys, so at most once). */
const UNSENT_AFTER_MS = 5_000;

/** Labels every alert of a message shares. */
function commonLabels(alerts: AlertView[]): Record<string, string> {
  const [first, ...rest] = alerts;
  return Object.fromEntries(Object.entries(first?.labels ?? {}).filter(([k, v]) => rest.every((a) => a.labels[k] === v)));
}

/**
 * Sends targets that were held back once their last source has stopped: by their routes, as
 * they would have gone, saying why they come late.
 */
export class InhibitionReleaser {
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly orm: MikroORM,
    private readonly repository: InhibitionRepository,
    private readonly routes: Pick<RouteService, 'decideAll'>,
    private readonly deliveries: Pick<DeliveryService, 'deliver'>,
    private readonly logger: Logger,
    private readonly sourceTtlMs: number,
  ) {}

  async send(released: ReleasedAlert[]): Promise<void> {
    if (released.length === 0) return;
    const alerts = released.map((r) => ({
      ...r.alert,
      annotations: { ...r.alert.annotations, alertagent_inhibition_ended: 'held back while an inhibiting alert fired; sent now that it stopped' },
    }));
    const routing = await this.routes.decideAll(alerts.map((a) => a.labels));
    let handedAll = true;
    for (const group of groupForDelivery(routing.decisions)) {
      const members = group.indexes.map((i) => alerts[i]);
      const message: ChannelMessage = {
        kind: 'alerts',
        status: 'firing',
        alerts: members,
        groupLabels: {},
        commonLabels: commonLabels(members),
        commonAnnotations: {},
        receiver: released[group.indexes[0]].receiver,
        groupKey: released[group.indexes[0]].groupKey,
      };
      const identity = createHash('sha1').update(group.indexes.map((i) => `${released[i].fingerprint}@${released[i].releasedAt.getTime()}`).join(',')).digest('hex');
      try {
        await this.deliveries.deliver(group.channelId, message, { source: 'inhibition', idempotencyKey: `inhibition-release:${identity}:${group.key}` });
      } catch (err) {
        if (err instanceof NotFoundError) continue;
        handedAll = false;
        this.logger.warn({ err, channelId: group.channelId }, 'could not hand released alerts to delivery; the sweeper will');
      }
    }
    if (handedAll) for (const r of released) await this.repository.forgetReleased(r.fingerprint, r.releasedAt);
  }

  /** Sources gone quiet past the TTL stop inhibiting; releases a crash cut off go out again. */
  async sweep(): Promise<void> {
    const now = new Date();
    await this.send(await this.repository.expireSources(now, this.sourceTtlMs));
    const unsent = await this.repository.unsentReleases(new Date(now.getTime() - UNSENT_AFTER_MS), 200);
    // Released together, sent together: the same idempotency keys as the first try.
    const byTime = new Map<number, ReleasedAlert[]>();
    for (const r of unsent) byTime.set(r.releasedAt.getTime(), [...(byTime.get(r.releasedAt.getTime()) ?? []), r]);
    for (const batch of byTime.values()) await this.send(batch);
  }

  startSweeper(intervalMs: number): void {
    const sweep = () => void RequestContext.create(this.orm.em, () => this.sweep()).catch((err) => this.logger.warn({ err }, 'inhibition sweep failed'));
    this.sweeper = setInterval(sweep, intervalMs);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }
}
