import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { ClusterEntity } from '../../entities/clusters/cluster.entity';
import { MaintenanceSilenceEntity, MaintenanceWindowEntity } from '../../entities/gateway/maintenance.entity';
import type { AlertmanagerClient } from '../clusters/alertmanager-client';
import type { FlagResolver } from '../flags/flag-resolver';
import type { LabelMatcher } from '../gateway/label-matcher';
import type { Logger } from '../../shared/logger';
import { PeriodicTask } from '../shared/periodic-task';
import { nextOccurrence, openOccurrence, type Occurrence } from './maintenance-schedule';
import { specOf } from './maintenance-window.service';

/** Occurrences starting this soon get their silences ahead, so they are in place when they open. */
const AHEAD_MS = 60 * 60_000;

/** A silence's matchers from a window's; a window without matchers silences every alert of the cluster. */
function silenceMatchers(matchers: LabelMatcher[]): Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }> {
  if (matchers.length === 0) return [{ name: 'alertname', value: '.+', isRegex: true, isEqual: true }];
  return matchers.map((m) => ({
    name: m.name,
    value: m.value,
    isRegex: m.operator === '=~' || m.operator === '!~',
    isEqual: m.operator === '=' || m.operator === '=~',
  }));
}

interface Desired {
  window: MaintenanceWindowEntity;
  cluster: ClusterEntity;
  occurrence: Occurrence;
  specHash: string;
}

export interface SilenceMirrorDeps {
  orm: MikroORM;
  alertmanagers: Pick<AlertmanagerClient, 'createSilence' | 'expireSilence'>;
  flags: Pick<FlagResolver, 'isEnabled'>;
  logger: Pick<Logger, 'warn'>;
}

/**
 * Mirrors maintenance windows marked `mirrorAsSilences` as silences on the Alertmanagers of the
 * clusters they cover (flag gateway.maintenance), through the failover-aware client: one silence
 * per cluster and occurrence, set when the occurrence opens (or up to an hour before), replaced
 * when the window changes, expired when the window is disabled, deleted, no longer mirrored, or
 * the flag is switched off. A cluster that cannot be reached is tried again at the next round.
 */
export class SilenceMirror {
  private readonly sweeper: PeriodicTask;

  constructor(private readonly deps: SilenceMirrorDeps) {
    this.sweeper = new PeriodicTask('silence mirror', () => this.sweep(), deps.logger);
  }

  async sweep(now = new Date()): Promise<void> {
    const em = this.deps.orm.em.fork();
    const on = this.deps.flags.isEnabled('gateway.maintenance');
    const windows = on ? await em.find(MaintenanceWindowEntity, { enabled: true, mirrorAsSilences: true }) : [];
    const existing = await em.find(MaintenanceSilenceEntity, {});
    // One read of the clusters serves both the silences wanted and those to expire.
    const clusters = windows.length > 0 || existing.length > 0 ? await em.find(ClusterEntity, {}) : [];
    const desired = new Map<string, Desired>();
    for (const window of windows) {
      const spec = specOf(window);
      const open = openOccurrence(spec, now);
      const next = open ? null : nextOccurrence(spec, now);
      const occurrence = open ?? (next && next.start.getTime() - now.getTime() <= AHEAD_MS ? next : null);
      if (!occurrence) continue;
      for (const cluster of clusters) {
        if (window.clusters.length > 0 && !window.clusters.includes(cluster.name)) continue;
        const specHash = createHash('sha256')
          .update(JSON.stringify([window.matchers, occurrence.start, occurrence.end]))
          .digest('hex');
        desired.set(`${window.id}|${cluster.id}|${occurrence.start.getTime()}`, { window, cluster, occurrence, specHash });
      }
    }
    const clusterById = new Map(clusters.map((c) => [c.id, c]));
    for (const row of existing) {
      const want = desired.get(`${row.windowId}|${row.clusterId}|${row.occurrenceStart.getTime()}`);
      if (want && want.specHash === row.specHash) {
        desired.delete(`${row.windowId}|${row.clusterId}|${row.occurrenceStart.getTime()}`);
        continue;
      }
      // An occurrence that has ended expires by itself; only ones still running are expired early.
      const cluster = clusterById.get(row.clusterId);
      try {
        if (cluster) await this.deps.alertmanagers.expireSilence(cluster, row.silenceId);
        em.remove(row);
        await em.flush();
      } catch (err) {
        this.deps.logger.warn(
          { err, windowId: row.windowId, cluster: cluster?.name },
          'could not expire a mirrored silence; trying again at the next round',
        );
      }
    }
    for (const want of desired.values()) {
      try {
        const silenceId = await this.deps.alertmanagers.createSilence(want.cluster, {
          matchers: silenceMatchers(want.window.matchers),
          startsAt: want.occurrence.start,
          endsAt: want.occurrence.end,
          createdBy: 'alertagent',
          comment: `AlertAgent maintenance window "${want.window.name}" (${want.window.id})`,
        });
        em.persist(
          Object.assign(new MaintenanceSilenceEntity(), {
            windowId: want.window.id,
            clusterId: want.cluster.id,
            occurrenceStart: want.occurrence.start,
            silenceId,
            specHash: want.specHash,
          }),
        );
        await em.flush();
      } catch (err) {
        this.deps.logger.warn(
          { err, window: want.window.name, cluster: want.cluster.name },
          'could not set a mirrored silence; trying again at the next round',
        );
      }
    }
  }

  startSweeper(intervalMs: number): void {
    this.sweeper.start(intervalMs, true);
  }

  stop(): void {
    this.sweeper.stop();
  }
}
