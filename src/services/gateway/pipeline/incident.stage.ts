import type { FlagResolver } from '../../flags/flag-resolver';
import { correlationKey, type CompiledPolicy } from '../../incidents/correlation-policy.service';
import type { IncidentNotifier } from '../../incidents/incident-notifier';
import type { CorrelatedAlerts, IncidentRepository, JoinOutcome } from '../../incidents/incident.repository';
import type { Logger } from '../../../shared/logger';
import type { EventBus } from '../../pubsub/event-bus';
import { ZERO_TIME, type AlertmanagerAlert } from '../alertmanager-payload';
import type { AlertView } from '../../channels/message';
import type { RouteService } from '../route.service';
import type { Hold } from '../record-state';
import { stillTaken, type HoldStage, type ReceiptInHand } from './receipt';
import { receiptStored } from './receipt-stored';

export interface IncidentStageDeps {
  flags: FlagResolver;
  policies: { policyFor(labels: Record<string, string>): CompiledPolicy | null };
  repository: Pick<IncidentRepository, 'join' | 'joinOpen' | 'takeOver' | 'knownKeys'>;
  receiptExists: (receiptId: string) => Promise<boolean>;
  notifier: Pick<IncidentNotifier, 'schedule' | 'announce'>;
  routes: Pick<RouteService, 'decideAll'>;
  events: Pick<EventBus, 'subscribe'>;
  logger: Pick<Logger, 'warn' | 'error'>;
}

/** "NodeDown (cluster=prod, node=n1)": the first alert's name and the values that tie the incident together. */
export function incidentTitle(alertname: string, labels: Record<string, string>): string {
  return `${alertname || 'alerts'} (${Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')})`;
}

/**
 * Incidents (flag gateway.grouping). Alerts a correlation policy takes are joined to their
 * incident across clusters and Alertmanager groups. Related alerts that join an incident are held
 * as `grouped` and told in its next update, at most one per update interval.
 *
 * The first notice of a new problem is never delayed: every replica keeps the correlation keys of
 * open incidents (and of resolved ones that may still reopen) in memory, loaded at start and kept
 * by the incident events of all replicas. Alerts whose key it does not know go out at once, as
 * pass-through sends them, and are joined after their send; only alerts of a known incident wait
 * for the join, which decides whether they are held. Two replicas opening the same incident in
 * the same instant may therefore both send; the database still records one incident.
 */
export class IncidentStage implements HoldStage {
  readonly name = 'incidents';
  /** Correlation key → until when it counts as known (Infinity while open). */
  private readonly known = new Map<string, number>();
  private watching: AsyncIterableIterator<unknown> | null = null;

  constructor(private readonly deps: IncidentStageDeps) {}

  async start(): Promise<void> {
    for (const { key, until } of await this.deps.repository.knownKeys(new Date())) this.known.set(key, until);
    const changes = this.deps.events.subscribe('incident.changed');
    this.watching = changes;
    void (async () => {
      for await (const event of changes) this.remember(event.correlationKey, event.reopenUntil ? Date.parse(event.reopenUntil) : Infinity);
    })().catch((err) => this.deps.logger.error({ err }, 'stopped following incident events'));
  }

  async stop(): Promise<void> {
    await this.watching?.return?.();
  }

  private remember(key: string, until: number): void {
    this.known.set(key, until);
  }

  private isKnown(key: string): boolean {
    const until = this.known.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.known.delete(key);
    return false;
  }

  async hold(receipt: ReceiptInHand, held: Array<Hold | null>): Promise<void> {
    const { flags, policies } = this.deps;
    if (!flags.isEnabled('gateway.grouping', receipt.flagContext)) return;
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
    const joins: Array<Promise<void>> = [];
    for (const [key, { policy, indexes }] of byKey) {
      const group = this.correlated(
        { receiptId: receipt.receiptId, receiver: receipt.payload.receiver },
        key,
        policy,
        indexes.map((i) => alerts[i]),
      );
      if (this.isKnown(key)) {
        joins.push(this.join(receipt, held, group, indexes, now));
      } else {
        // A new problem as far as this replica knows: sent at once, joined after.
        this.remember(key, Infinity);
        receipt.afterSend.push(this.joinSent(receipt, group, indexes, now));
      }
    }
    await Promise.all(joins);
  }

  /** `from`: the receipt the alerts came in, or only its receiver for alerts released from elsewhere. */
  private correlated(
    from: { receiptId: string; receiver: string },
    key: string,
    policy: CompiledPolicy,
    members: AlertmanagerAlert[],
  ): CorrelatedAlerts {
    const labels = Object.fromEntries(policy.labels.map((name) => [name, members[0].labels[name]]));
    const opening = members.find((a) => a.status === 'firing') ?? members[0];
    return {
      key,
      policy,
      labels,
      title: incidentTitle(opening.labels.alertname ?? '', labels),
      receiptId: from.receiptId,
      receiver: from.receiver,
      alerts: members,
      channelsOfFirstNotice: async () => [
        ...new Set((await this.deps.routes.decideAll(members.map((a) => a.labels))).decisions.flatMap((d) => d.channelIds)),
      ],
    };
  }

  /** Joins alerts of a known incident before routing: members are held. */
  private async join(
    receipt: ReceiptInHand,
    held: Array<Hold | null>,
    group: CorrelatedAlerts,
    indexes: number[],
    now: Date,
  ): Promise<void> {
    const { repository, notifier } = this.deps;
    const outcome = await repository.join(group, now);
    if (outcome.role === 'none') return;
    for (const index of indexes) receipt.incidents[index] = outcome.incidentId;
    if (outcome.role === 'member' && (await this.openerLost(receipt, outcome))) {
      // Its opener never reached the database, so its first notice never went out: this receipt's does.
      if (await repository.takeOver(outcome.incidentId, outcome.openedBy, receipt.receiptId, group.alerts, now)) return;
    }
    this.announce(outcome, group, indexes.length);
    if (outcome.role === 'opener') return;
    for (const index of indexes) held[index] = { state: 'grouped', detail: `part of incident "${outcome.title}" (${outcome.incidentId})` };
    if (outcome.pending)
      void notifier
        .schedule(outcome.pending)
        .catch((err) =>
          this.deps.logger.warn({ err, incidentId: outcome.incidentId }, 'could not book an incident update; the sweeper will'),
        );
  }

  /** Joins alerts that have been sent already (opening an incident, or told by their own message). */
  private async joinSent(receipt: ReceiptInHand, group: CorrelatedAlerts, indexes: number[], now: Date): Promise<void> {
    const outcome = await this.deps.repository.join(group, now, true);
    if (outcome.role === 'none') return;
    for (const index of indexes) receipt.incidents[index] = outcome.incidentId;
    this.announce(outcome, group, indexes.length);
  }

  private announce(outcome: Exclude<JoinOutcome, { role: 'none' }>, group: CorrelatedAlerts, alerts: number): void {
    const change = outcome.role === 'opener' ? 'opened' : outcome.reopened ? 'reopened' : 'joined';
    this.deps.notifier.announce({
      incidentId: outcome.incidentId,
      title: outcome.title,
      change,
      state: outcome.role === 'opener' ? 'open' : 'updated',
      alerts,
      correlationKey: group.key,
      reopenUntil: null,
    });
  }

  /**
   * Alerts held back elsewhere (inhibition) and released now: those whose incident is open join
   * it and are told in its next update; answers their fingerprints. Never opens an incident.
   */
  async joinReleased(alerts: Array<{ alert: AlertView; receiver: string }>): Promise<Set<string>> {
    const joined = new Set<string>();
    if (!this.deps.flags.isEnabled('gateway.grouping')) return joined;
    const now = new Date();
    for (const { alert, receiver } of alerts) {
      const policy = this.deps.policies.policyFor(alert.labels);
      if (!policy || !alert.fingerprint) continue;
      const key = correlationKey(policy, alert.labels);
      const member: AlertmanagerAlert = {
        status: alert.status,
        labels: alert.labels,
        annotations: alert.annotations,
        startsAt: alert.startsAt,
        endsAt: ZERO_TIME,
        generatorURL: alert.generatorURL ?? '',
        fingerprint: alert.fingerprint,
      };
      const outcome = await this.deps.repository.joinOpen(this.correlated({ receiptId: '', receiver }, key, policy, [member]), now);
      if (outcome.role !== 'member') continue;
      joined.add(alert.fingerprint);
      this.announce(outcome, { key } as CorrelatedAlerts, 1);
      if (outcome.pending)
        await this.deps.notifier
          .schedule(outcome.pending)
          .catch((err) =>
            this.deps.logger.warn({ err, incidentId: outcome.incidentId }, 'could not book an incident update; the sweeper will'),
          );
    }
    return joined;
  }

  /** Whether an incident this receipt joins has told nothing yet and its opening receipt was never stored. */
  private async openerLost(receipt: ReceiptInHand, outcome: Extract<JoinOutcome, { role: 'member' }>): Promise<boolean> {
    if (outcome.notified || outcome.openedBy === receipt.receiptId) return false;
    return !(await receiptStored(this.deps.receiptExists, outcome.openedBy, receipt.stored));
  }
}
