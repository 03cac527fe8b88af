import type { FlagResolver } from '../../flags/flag-resolver';
import { correlationKey, type CompiledPolicy } from '../../incidents/correlation-policy.service';
import type { IncidentNotifier } from '../../incidents/incident-notifier';
import type { CorrelatedAlerts, IncidentRepository, JoinOutcome } from '../../incidents/incident.repository';
import type { Logger } from '../../observability/logger';
import type { RouteService } from '../route.service';
import type { Hold } from '../record-state';
import { stillTaken, type HoldStage, type ReceiptInHand } from './receipt';
import { receiptStored } from './receipt-stored';

export interface IncidentStageDeps {
  flags: FlagResolver;
  policies: { policyFor(labels: Record<string, string>): CompiledPolicy | null };
  repository: Pick<IncidentRepository, 'join' | 'takeOver'>;
  receiptExists: (receiptId: string) => Promise<boolean>;
  notifier: Pick<IncidentNotifier, 'schedule' | 'announce'>;
  routes: Pick<RouteService, 'decideAll'>;
  logger: Pick<Logger, 'warn'>;
}

/** "NodeDown (cluster=prod, node=n1)": the first alert's name and the values that tie the incident together. */
export function incidentTitle(alertname: string, labels: Record<string, string>): string {
  return `${alertname || 'alerts'} (${Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')})`;
}

/**
 * Incidents (flag gateway.grouping). Alerts a correlation policy takes are joined to their
 * incident across clusters and Alertmanager groups. The receipt that opens an incident goes
 * out at once, exactly as pass-through sends it (the first notice); later related alerts are
 * held as `grouped` and told in the incident's next update, at most one per update interval.
 */
export class IncidentStage implements HoldStage {
  readonly name = 'incidents';

  constructor(private readonly deps: IncidentStageDeps) {}

  async hold(receipt: ReceiptInHand, held: Array<Hold | null>): Promise<void> {
    const { flags, policies, repository, notifier, routes } = this.deps;
    if (!flags.isEnabled('gateway.grouping')) return;
    const { alerts } = receipt.payload;
    const byKey = new Map<string, { policy: CompiledPolicy; indexes: number[] }>();
    for (const index of stillTaken(held)) {
      const policy = policies.policyFor(alerts[index].labels);
      if (!policy) continue;
      const key = correlationKey(policy, alerts[index].labels);
      const group = byKey.get(key) ?? { policy, indexes: [] };
      group.indexes.push(index);
      byKey.set(key, group);
    }
    const now = new Date();
    await Promise.all(
      [...byKey.entries()].map(async ([key, { policy, indexes }]) => {
        const members = indexes.map((i) => alerts[i]);
        const labels = Object.fromEntries(policy.labels.map((name) => [name, members[0].labels[name]]));
        const opening = members.find((a) => a.status === 'firing') ?? members[0];
        const group: CorrelatedAlerts = {
          key,
          policy,
          labels,
          title: incidentTitle(opening.labels.alertname ?? '', labels),
          receiptId: receipt.receiptId,
          receiver: receipt.payload.receiver,
          alerts: members,
          channelsOfFirstNotice: async () => [...new Set((await routes.decideAll(members.map((a) => a.labels))).decisions.flatMap((d) => d.channelIds))],
        };
        const outcome = await repository.join(group, now);
        if (outcome.role === 'none') return;
        for (const index of indexes) receipt.incidents[index] = outcome.incidentId;
        if (outcome.role === 'member' && (await this.openerLost(receipt, outcome))) {
          // Its opener never reached the database, so its first notice never went out: this receipt's does.
          if (await repository.takeOver(outcome.incidentId, outcome.openedBy, receipt.receiptId, members, now)) return;
        }
        if (outcome.role === 'opener') {
          notifier.announce({ id: outcome.incidentId, title: outcome.title }, 'opened', 'open', members.length);
          return;
        }
        for (const index of indexes) held[index] = { state: 'grouped', detail: `part of incident "${outcome.title}" (${outcome.incidentId})` };
        notifier.announce({ id: outcome.incidentId, title: outcome.title }, outcome.reopened ? 'reopened' : 'joined', 'updated', members.length);
        // Booked in the background: routing the rest of the receipt never waits for the queue.
        if (outcome.pending) void notifier.schedule(outcome.pending).catch((err) => this.deps.logger.warn({ err, incidentId: outcome.incidentId }, 'could not book an incident update; the sweeper will'));
      }),
    );
  }

  /** Whether an incident this receipt joins has told nothing yet and its opening receipt was never stored. */
  private async openerLost(receipt: ReceiptInHand, outcome: Extract<JoinOutcome, { role: 'member' }>): Promise<boolean> {
    if (outcome.notified || outcome.openedBy === receipt.receiptId) return false;
    return !(await receiptStored(this.deps.receiptExists, outcome.openedBy, receipt.stored));
  }
}
