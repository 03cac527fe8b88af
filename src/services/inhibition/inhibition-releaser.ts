import type { MikroORM } from '@mikro-orm/core';
import type { DeliveryService } from '../channels/delivery.service';
import type { RouteService } from '../gateway/route.service';
import { releasedTogether, sendByRoutes } from '../gateway/send-by-routes';
import type { Logger } from '../../shared/logger';
import { PeriodicTask } from '../shared/periodic-task';
import type { InhibitionRepository, InhibitionTiming, ReleasedAlert } from './inhibition.repository';

/** A release marked this long ago and still here was cut off by a crash: sent again (same idempotency keys, so at most once). */
const UNSENT_AFTER_MS = 5_000;

export interface InhibitionReleaserDeps {
  orm: MikroORM;
  repository: InhibitionRepository;
  routes: Pick<RouteService, 'decideAll'>;
  deliveries: Pick<DeliveryService, 'deliver'>;
  logger: Logger;
  timing: InhibitionTiming;
}

/**
 * Sends targets that were held back once their last source has stopped: by their routes, as
 * they would have gone, saying why they come late.
 */
export class InhibitionReleaser {
  private readonly sweeper: PeriodicTask;

  constructor(private readonly deps: InhibitionReleaserDeps) {
    this.sweeper = new PeriodicTask('inhibition', () => this.sweep(), this.deps.logger, this.deps.orm);
  }

  /** With incidents on: released targets whose incident is open join it (told in its next update) instead of going out alone. */
  joinIncidents: ((released: ReleasedAlert[]) => Promise<Set<string>>) | null = null;

  async send(released: ReleasedAlert[]): Promise<void> {
    const joined = this.joinIncidents ? await this.joinIncidents(released) : new Set<string>();
    const held = released
      .filter((r) => !joined.has(r.fingerprint))
      .map((r) => ({ alert: r.alert, receiver: r.receiver, groupKey: r.groupKey, identity: `${r.fingerprint}@${r.releasedAt.getTime()}` }));
    const note = { alertagent_inhibition_ended: 'held back while an inhibiting alert fired; sent now that it stopped' };
    if (!(await sendByRoutes(this.deps, held, 'inhibition', note))) return;
    for (const r of released) await this.deps.repository.forgetReleased(r.fingerprint, r.releasedAt);
  }

  /** Sources gone quiet past the TTL stop inhibiting; targets whose release wait is over go; releases a crash cut off go out again. */
  async sweep(): Promise<void> {
    const now = new Date();
    await this.send(await this.deps.repository.expireSources(now, this.deps.timing));
    for (const batch of releasedTogether(await this.deps.repository.releaseDue(now, this.deps.timing))) await this.send(batch);
    const unsent = await this.deps.repository.unsentReleases(new Date(now.getTime() - UNSENT_AFTER_MS), 200);
    for (const batch of releasedTogether(unsent)) await this.send(batch);
  }

  startSweeper(intervalMs: number): void {
    this.sweeper.start(intervalMs);
  }

  stop(): void {
    this.sweeper.stop();
  }
}
