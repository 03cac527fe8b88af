import type { AlertmanagerAlert } from '../gateway/alertmanager-payload';
import { NOTIFICATION_KINDS, type ModelNotification, type ModelOutcome, type ModelState, type NotificationKind } from './gateway-model';

/** How many alert records differ, and the first of them (kept short: a replay may cover millions). */
export const SAMPLE_LIMIT = 50;

/** A recorded alert whose fate the proposal changes. */
export interface ChangedAlert {
  recordId: string;
  receiptId: string;
  receivedAt: string;
  alertname: string;
  fingerprint: string;
  status: string;
  actualState: string;
  simulatedState: ModelState;
  detail: string | null;
}

export interface CountPair {
  simulated: number;
  actual: number;
}

/** What a replay answers, stored with the simulation. */
export interface SimulationResult {
  receipts: number;
  alerts: number;
  notifications: CountPair;
  byChannel: Array<{ channelId: string } & CountPair>;
  byRoute: Array<{ routeId: string; routeName: string; notifications: number; alerts: number }>;
  byKind: Array<{ kind: NotificationKind } & CountPair>;
  alertStates: Array<{ state: string } & CountPair>;
  incidents: { simulatedOpened: number; simulatedReopened: number; actualOpened: number };
  newlyHeld: { count: number; sample: ChangedAlert[] };
  newlySent: { count: number; sample: ChangedAlert[] };
}

/** What really happened in the range, from the records and deliveries. */
export interface ActualTotals {
  /** Deliveries per channel and kind of message. */
  deliveries: Array<{ channelId: string; kind: NotificationKind; count: number }>;
  incidentsOpened: number;
}

/** Records that reached a channel (or were tried): the outcome the model calls `sent`. */
const SENT_STATES = new Set(['received', 'routed', 'delivered', 'partially_delivered', 'failed']);

/** A record state as the model names it. */
export function modelStateOf(recordState: string): string {
  return SENT_STATES.has(recordState) ? 'sent' : recordState;
}

const bump = <K>(map: Map<K, number>, key: K, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

/** Adds up a replay as it runs: the model's notifications and outcomes against the recorded ones. */
export class SimulationTally {
  private receipts = 0;
  private alerts = 0;
  private readonly channels = new Map<string, number>();
  private readonly routes = new Map<string, { notifications: number; alerts: number }>();
  private readonly kinds = new Map<NotificationKind, number>();
  private readonly simulatedStates = new Map<string, number>();
  private readonly actualStates = new Map<string, number>();
  private readonly newlyHeld = { count: 0, sample: [] as ChangedAlert[] };
  private readonly newlySent = { count: 0, sample: [] as ChangedAlert[] };

  notification(n: ModelNotification): void {
    bump(this.channels, n.channelId);
    bump(this.kinds, n.kind);
    if (n.routeId) {
      const route = this.routes.get(n.routeId) ?? { notifications: 0, alerts: 0 };
      route.notifications++;
      route.alerts += n.alerts;
      this.routes.set(n.routeId, route);
    }
  }

  /**
   * One receipt's outcomes against its records' states (`actual[i]`, undefined when the record is
   * missing: a receipt accepted but never processed).
   */
  receipt(
    receipt: { receiptId: string; receivedAt: Date; recordIds: string[]; alerts: AlertmanagerAlert[] },
    outcomes: ModelOutcome[],
    actual: Array<string | undefined>,
  ): void {
    this.receipts++;
    outcomes.forEach((outcome, index) => {
      this.alerts++;
      bump(this.simulatedStates, outcome.state);
      const recorded = actual[index];
      if (recorded === undefined) return;
      bump(this.actualStates, modelStateOf(recorded));
      const wasSent = modelStateOf(recorded) === 'sent';
      const isSent = outcome.state === 'sent';
      if (wasSent === isSent) return;
      const alert = receipt.alerts[index];
      const target = wasSent ? this.newlyHeld : this.newlySent;
      target.count++;
      if (target.sample.length < SAMPLE_LIMIT) {
        target.sample.push({
          recordId: receipt.recordIds[index],
          receiptId: receipt.receiptId,
          receivedAt: receipt.receivedAt.toISOString(),
          alertname: alert.labels.alertname ?? '',
          fingerprint: alert.fingerprint,
          status: alert.status,
          actualState: recorded,
          simulatedState: outcome.state,
          detail: outcome.detail,
        });
      }
    });
  }

  /** `routeName`: the name of a route the model sent by (proposed routes have made-up ids). */
  result(actual: ActualTotals, routeName: (routeId: string) => string): SimulationResult {
    const actualChannels = new Map<string, number>();
    const actualKinds = new Map<NotificationKind, number>();
    for (const d of actual.deliveries) {
      bump(actualChannels, d.channelId, d.count);
      bump(actualKinds, d.kind, d.count);
    }
    const pairs = <K>(simulated: Map<K, number>, recorded: Map<K, number>) =>
      [...new Set([...simulated.keys(), ...recorded.keys()])].map((key) => ({
        key,
        simulated: simulated.get(key) ?? 0,
        actual: recorded.get(key) ?? 0,
      }));
    const total = (m: Map<unknown, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    return {
      receipts: this.receipts,
      alerts: this.alerts,
      notifications: { simulated: total(this.channels), actual: total(actualChannels) },
      byChannel: pairs(this.channels, actualChannels)
        .map(({ key, ...counts }) => ({ channelId: key, ...counts }))
        .sort((a, b) => b.simulated + b.actual - (a.simulated + a.actual)),
      byRoute: [...this.routes]
        .map(([routeId, counts]) => ({ routeId, routeName: routeName(routeId), ...counts }))
        .sort((a, b) => b.notifications - a.notifications),
      byKind: NOTIFICATION_KINDS.map((kind) => ({ kind, simulated: this.kinds.get(kind) ?? 0, actual: actualKinds.get(kind) ?? 0 })).filter(
        (k) => k.simulated + k.actual > 0,
      ),
      alertStates: pairs(this.simulatedStates, this.actualStates)
        .map(({ key, ...counts }) => ({ state: key, ...counts }))
        .sort((a, b) => a.state.localeCompare(b.state)),
      incidents: { simulatedOpened: 0, simulatedReopened: 0, actualOpened: actual.incidentsOpened },
      newlyHeld: this.newlyHeld,
      newlySent: this.newlySent,
    };
  }
}
