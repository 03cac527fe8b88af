import type { AlertmanagerAlert, AlertmanagerPayload } from '../gateway/alertmanager-payload';
import { matchesAll } from '../gateway/label-matcher';
import { CONVERGENCE_EDGE_MARGIN_MS } from '../gateway/pipeline/convergence.stage';
import { groupForDelivery } from '../gateway/pipeline/routing.stage';
import { decideRoutes, type RouteDecision, type RoutingTable } from '../gateway/route-table';
import { correlationKey, policyApplies, type CompiledPolicy } from '../incidents/correlation-policy.service';
import { resolutionHeldUntil } from '../incidents/incident-notifier';
import { equalKey, type CompiledInhibitionRule } from '../inhibition/inhibition-rule.service';
import { WindowCover, type CompiledWindow } from '../maintenance-windows/maintenance-window.service';
import { decideWindow, type KnownAlert } from '../route-windows/route-window-rules';

/** The flags whose behaviour the model plays. */
export const MODEL_FLAGS = [
  'gateway.convergence',
  'gateway.grouping',
  'gateway.inhibition',
  'gateway.maintenance',
  'gateway.advanced-convergence',
] as const;
export type ModelFlag = (typeof MODEL_FLAGS)[number];

export interface ModelSettings {
  dedupeWindowMs: number;
  convergenceWindowMs: number;
  inhibitionSourceTtlMs: number;
  inhibitionReleaseWaitMs: number;
  flapChanges: number;
  flapWindowMs: number;
  flapQuietMs: number;
}

/** Everything that decides what the gateway sends: what a replay proposes, or what is in force. */
export interface GatewayModelConfig {
  flags: ReadonlySet<ModelFlag>;
  routes: RoutingTable;
  policies: readonly CompiledPolicy[];
  inhibitionRules: readonly CompiledInhibitionRule[];
  maintenanceWindows: readonly CompiledWindow[];
  settings: ModelSettings;
}

export const NOTIFICATION_KINDS = [
  'alerts',
  'convergence-summary',
  'flap-summary',
  'incident-update',
  'incident-resolution',
  'inhibition-release',
  'maintenance-release',
  'route-window',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** One message the gateway would hand to one channel. */
export interface ModelNotification {
  at: number;
  kind: NotificationKind;
  channelId: string;
  /** The route it went by, for messages sent by routes (alerts and released alerts). */
  routeId: string | null;
  alerts: number;
}

export type ModelState = 'sent' | 'unrouted' | 'duplicate' | 'suppressed' | 'inhibited' | 'flapping' | 'grouped' | 'converged' | 'batched';

/** What became of one alert of a receipt. */
export interface ModelOutcome {
  state: ModelState;
  detail: string | null;
}

export interface ModelReceipt {
  receivedAt: Date;
  payload: Pick<AlertmanagerPayload, 'groupKey' | 'alerts'>;
}

interface Timer {
  at: number;
  seq: number;
  run: () => void;
}

interface IncidentMember {
  status: string;
  /** The status its last notification told; null while none has. */
  told: string | null;
  /** When it was last reported resolved; null while firing. */
  resolvedAt: number | null;
}

interface ModelIncident {
  key: string;
  policy: CompiledPolicy;
  resolved: boolean;
  openedAt: number;
  lastAlertAt: number;
  lastNotifiedAt: number | null;
  pendingSince: number | null;
  resolvedAt: number | null;
  channelIds: string[];
  members: Map<string, IncidentMember>;
  updateBooked: boolean;
  quietCheckAt: number | null;
}

interface FlapEntry {
  status: string;
  labels: Record<string, string>;
  changedAt: number;
  changes: number[];
  flapping: boolean;
  expires: number;
}

interface ConvergenceWindow {
  expiresAt: number;
  count: number;
}

/** An inhibition rule and the values of its `equal` labels, as one map key. */
const ruleKeyId = (ruleId: string, equalKey: string) => `${ruleId}\u0000${equalKey}`;

interface HeldTarget {
  ruleId: string;
  equalKey: string;
  alert: AlertmanagerAlert;
}

interface RouteWindowState {
  lastFlushAt: number | null;
  nextFlushAt: number | null;
  alerts: Map<string, KnownAlert>;
}

interface Suppressed {
  end: number;
  alerts: Map<string, AlertmanagerAlert>;
}

/**
 * The gateway's decisions played on virtual time: receipts go through the same stages in the same
 * order (HA copies, maintenance, inhibition, flapping, incidents, convergence, routing) with the
 * same rules, and what later timers would send (summaries, incident updates and resolutions,
 * releases) is played when the clock passes them. Nothing is stored or sent; used to replay
 * recorded receipts under a proposed configuration. Receipts must come in time order.
 */
export class GatewayModel {
  private now = 0;
  private seq = 0;
  private readonly timers: Timer[] = [];
  private readonly copies = new Map<string, number>();
  private readonly cover: WindowCover;
  private readonly suppressed = new Map<string, Suppressed>();
  /** Rule → equal key → source fingerprint → when last seen firing. */
  private readonly sources = new Map<string, Map<string, Map<string, number>>>();
  private readonly heldTargets = new Map<string, HeldTarget>();
  /**
   * Rule and equal key → when what it holds is released: its last source stopped, and a source
   * firing again takes the release off (as the gateway clears `release_due_at`).
   */
  private readonly releaseDueAt = new Map<string, { ruleId: string; equalKey: string; at: number }>();
  /** Sources with an expiry check booked. */
  private readonly sourceTimers = new Set<string>();
  private readonly flaps = new Map<string, FlapEntry>();
  private readonly incidentsByKey = new Map<string, ModelIncident>();
  private readonly convergence = new Map<string, ConvergenceWindow>();
  /** Route id and channel → its window. */
  private readonly routeWindows = new Map<string, RouteWindowState>();
  private fed = 0;
  /** Incidents opened (reopened ones not counted again). */
  incidentsOpened = 0;
  incidentsReopened = 0;

  constructor(
    private readonly config: GatewayModelConfig,
    private readonly emit: (notification: ModelNotification) => void,
  ) {
    this.cover = new WindowCover(config.maintenanceWindows);
  }

  private on(flag: ModelFlag): boolean {
    return this.config.flags.has(flag);
  }

  /** Plays every timer due up to `at`, then stands at `at`. */
  advanceTo(at: number): void {
    while (this.timers.length > 0 && this.timers[0].at <= at) {
      const timer = this.timers.shift()!;
      this.now = Math.max(this.now, timer.at);
      timer.run();
    }
    this.now = Math.max(this.now, at);
  }

  private after(at: number, run: () => void): void {
    const timer = { at, seq: this.seq++, run };
    let low = 0;
    let high = this.timers.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const t = this.timers[mid];
      if (t.at < at || (t.at === at && t.seq < timer.seq)) low = mid + 1;
      else high = mid;
    }
    this.timers.splice(low, 0, timer);
  }

  /** One receipt, at its time: what became of each of its alerts. */
  feed(receipt: ModelReceipt): ModelOutcome[] {
    this.advanceTo(receipt.receivedAt.getTime());
    if (++this.fed % 5_000 === 0) this.forgetExpired();
    const { alerts } = receipt.payload;
    const held: Array<ModelOutcome | null> = alerts.map(() => null);
    const taken = () => held.flatMap((h, i) => (h === null ? [i] : []));

    this.dedupe(receipt, held);
    if (this.on('gateway.maintenance')) this.maintain(alerts, taken(), held);
    if (this.on('gateway.inhibition')) this.inhibit(alerts, taken(), held);
    if (this.on('gateway.advanced-convergence')) this.dampFlaps(alerts, taken(), held);
    const routed = new Map<number, RouteDecision>();
    const decide = (index: number) => {
      let decision = routed.get(index);
      if (!decision) routed.set(index, (decision = decideRoutes(this.config.routes, alerts[index].labels)));
      return decision;
    };
    if (this.on('gateway.grouping')) this.group(alerts, taken(), held, decide);
    if (this.on('gateway.convergence')) this.converge(alerts, taken(), held);

    const sending = taken();
    const decisions = alerts.map((_, index) => (held[index] === null ? decide(index) : { routes: [], channelIds: [] }));
    const windowed = this.on('gateway.advanced-convergence');
    const fate = new Map<number, string[]>();
    const groups = groupForDelivery(decisions);
    // One window per route and channel: a per-alert route's messages of one receipt are decided together.
    const sendNow = new Map<string, Set<number>>();
    if (windowed) {
      for (const group of groups) {
        const key = `${group.route.id}|${group.channelId}`;
        if (!group.route.window || sendNow.has(key)) continue;
        const indexes = groups.filter((g) => g.route.id === group.route.id && g.channelId === group.channelId).flatMap((g) => g.indexes);
        const verdicts = this.offerWindow(
          group.route.id,
          group.channelId,
          group.route.window,
          indexes.map((i) => alerts[i]),
        );
        indexes.forEach((index, i) => fate.set(index, [...(fate.get(index) ?? []), verdicts[i]]));
        sendNow.set(key, new Set(indexes.filter((_, i) => verdicts[i] === 'send')));
      }
    }
    for (const group of groups) {
      const allowed = sendNow.get(`${group.route.id}|${group.channelId}`);
      const indexes = allowed ? group.indexes.filter((i) => allowed.has(i)) : group.indexes;
      if (indexes.length > 0)
        this.emit({ at: this.now, kind: 'alerts', channelId: group.channelId, routeId: group.route.id, alerts: indexes.length });
      for (const index of indexes) fate.set(index, [...(fate.get(index) ?? []), 'sent-now']);
    }
    for (const index of sending) {
      const ways = fate.get(index);
      if (decisions[index].channelIds.length === 0) held[index] = { state: 'unrouted', detail: null };
      else if (!ways || ways.includes('sent-now')) held[index] = { state: 'sent', detail: null };
      else if (ways.includes('queue')) held[index] = { state: 'batched', detail: "waiting for its route window's next message" };
      else held[index] = { state: 'converged', detail: 'already told by its route window within its repeat interval' };
    }
    return held as ModelOutcome[];
  }

  /** Plays what is due up to `at` (summaries, updates, releases), the end of the replayed range. */
  finish(at: number): void {
    this.advanceTo(at);
  }

  private dedupe(receipt: ModelReceipt, held: Array<ModelOutcome | null>): void {
    const { groupKey, alerts } = receipt.payload;
    alerts.forEach((a, i) => {
      const key = `${groupKey}\u0000${a.fingerprint}\u0000${a.status}\u0000${a.startsAt}`;
      const until = this.copies.get(key);
      if (until !== undefined && until > this.now) held[i] = { state: 'duplicate', detail: 'an HA copy of a notification already taken' };
      else this.copies.set(key, this.now + this.config.settings.dedupeWindowMs);
    });
  }

  private maintain(alerts: AlertmanagerAlert[], taken: number[], held: Array<ModelOutcome | null>): void {
    for (const index of taken) {
      const alert = alerts[index];
      const window = this.cover.covering(alert.labels, new Date(this.now));
      if (!window) continue;
      held[index] = { state: 'suppressed', detail: `in maintenance window "${window.name}"` };
      const end = window.occurrence.end.getTime();
      const key = `${window.id}@${end}`;
      let occurrence = this.suppressed.get(key);
      if (!occurrence) {
        occurrence = { end, alerts: new Map() };
        this.suppressed.set(key, occurrence);
        const closing = occurrence;
        this.after(end, () => {
          this.suppressed.delete(key);
          this.release(
            [...closing.alerts.values()].filter((a) => a.status === 'firing'),
            'maintenance-release',
          );
        });
      }
      occurrence.alerts.set(alert.fingerprint, alert);
    }
  }

  private activeSource(ruleId: string, key: string, except: string): boolean {
    const fingerprints = this.sources.get(ruleId)?.get(key);
    if (!fingerprints) return false;
    const since = this.now - this.config.settings.inhibitionSourceTtlMs;
    for (const [fingerprint, lastSeen] of fingerprints) if (fingerprint !== except && lastSeen > since) return true;
    return false;
  }

  private inhibit(alerts: AlertmanagerAlert[], taken: number[], held: Array<ModelOutcome | null>): void {
    const rules = this.config.inhibitionRules;
    if (rules.length === 0) return;
    const ended: Array<{ ruleId: string; key: string }> = [];
    const targets: Array<{ index: number; ruleId: string; key: string }> = [];
    for (const index of taken) {
      const alert = alerts[index];
      for (const rule of rules) {
        const source = matchesAll(rule.source, alert.labels);
        const target = matchesAll(rule.target, alert.labels);
        if (!source && !target) continue;
        const key = equalKey(rule, alert.labels);
        if (source) {
          const byKey = this.sources.get(rule.id) ?? new Map<string, Map<string, number>>();
          this.sources.set(rule.id, byKey);
          const fingerprints = byKey.get(key) ?? new Map<string, number>();
          byKey.set(key, fingerprints);
          if (alert.status === 'firing') {
            fingerprints.set(alert.fingerprint, this.now);
            this.watchSource(rule.id, key, alert.fingerprint);
            this.releaseDueAt.delete(ruleKeyId(rule.id, key));
          } else if (fingerprints.delete(alert.fingerprint)) ended.push({ ruleId: rule.id, key });
        }
        if (target && alert.status === 'firing') targets.push({ index, ruleId: rule.id, key });
      }
    }
    const inhibited = new Set<number>();
    for (const { index, ruleId, key } of targets) {
      const alert = alerts[index];
      if (held[index] !== null || !this.activeSource(ruleId, key, alert.fingerprint)) continue;
      held[index] = { state: 'inhibited', detail: `inhibited by rule "${rules.find((r) => r.id === ruleId)?.name ?? ruleId}"` };
      this.heldTargets.set(alert.fingerprint, { ruleId, equalKey: key, alert });
      inhibited.add(index);
    }
    // Reported firing with no source left: it goes now, by the normal path, and its release is off.
    for (const { index } of targets) if (!inhibited.has(index)) this.heldTargets.delete(alerts[index].fingerprint);
    for (const index of taken) {
      const alert = alerts[index];
      if (alert.status === 'resolved' && this.heldTargets.delete(alert.fingerprint))
        held[index] = { state: 'inhibited', detail: 'resolved while inhibited' };
    }
    this.releaseEnded(ended);
  }

  /**
   * Targets of rule keys whose last source ended are sent (or join their open incident): at once,
   * or when the release wait has passed if they are still held then.
   */
  private releaseEnded(ended: Array<{ ruleId: string; key: string }>): void {
    const wait = this.config.settings.inhibitionReleaseWaitMs;
    const due = new Set<string>();
    for (const { ruleId, key } of ended) {
      if (this.activeSource(ruleId, key, '')) continue;
      const id = ruleKeyId(ruleId, key);
      if (wait === 0) due.add(id);
      else if (!this.releaseDueAt.has(id)) {
        this.releaseDueAt.set(id, { ruleId, equalKey: key, at: this.now + wait });
        this.after(this.now + wait, () => this.releaseDue());
      }
    }
    this.releaseHeld(due);
  }

  /** Release waits that have passed, with no source holding their keys again: what they hold goes together (as one sweep sends it). */
  private releaseDue(): void {
    const due = new Set<string>();
    for (const [id, { ruleId, equalKey, at }] of this.releaseDueAt) {
      if (at > this.now) continue;
      this.releaseDueAt.delete(id);
      if (!this.activeSource(ruleId, equalKey, '')) due.add(id);
    }
    this.releaseHeld(due);
  }

  /** Sends what is held for the given rule keys. */
  private releaseHeld(keys: ReadonlySet<string>): void {
    if (keys.size === 0) return;
    const released: AlertmanagerAlert[] = [];
    for (const [fingerprint, target] of this.heldTargets) {
      if (!keys.has(ruleKeyId(target.ruleId, target.equalKey))) continue;
      this.heldTargets.delete(fingerprint);
      released.push(target.alert);
    }
    if (released.length > 0) this.release(released, 'inhibition-release');
  }

  /**
   * A source no longer reported stops inhibiting once it has gone unseen for the source TTL, as
   * the gateway's sweeper expires it; what it held is released then. One timer per source at a
   * time, moved on when the source was seen again meanwhile.
   */
  private watchSource(ruleId: string, key: string, fingerprint: string): void {
    const id = `${ruleId}\u0000${key}\u0000${fingerprint}`;
    if (this.sourceTimers.has(id)) return;
    this.sourceTimers.add(id);
    const ttl = this.config.settings.inhibitionSourceTtlMs;
    const check = () => {
      const lastSeen = this.sources.get(ruleId)?.get(key)?.get(fingerprint);
      if (lastSeen === undefined) return void this.sourceTimers.delete(id);
      if (lastSeen + ttl > this.now) return this.after(lastSeen + ttl + 1, check);
      this.sources.get(ruleId)!.get(key)!.delete(fingerprint);
      this.sourceTimers.delete(id);
      this.releaseEnded([{ ruleId, key }]);
    };
    this.after(this.now + ttl + 1, check);
  }

  /** Sends held-back alerts that may go now, by their routes; with incidents on, those whose incident is open join it instead. */
  private release(alerts: AlertmanagerAlert[], kind: NotificationKind): void {
    const going = alerts.filter((alert) => !(kind === 'inhibition-release' && this.on('gateway.grouping') && this.joinOpen(alert)));
    const decisions = going.map((a) => decideRoutes(this.config.routes, a.labels));
    for (const group of groupForDelivery(decisions))
      this.emit({ at: this.now, kind, channelId: group.channelId, routeId: group.route.id, alerts: group.indexes.length });
  }

  private dampFlaps(alerts: AlertmanagerAlert[], taken: number[], held: Array<ModelOutcome | null>): void {
    const { flapChanges, flapWindowMs, flapQuietMs } = this.config.settings;
    for (const index of taken) {
      const alert = alerts[index];
      const live = this.flaps.get(alert.fingerprint);
      const entry: FlapEntry =
        live && live.expires > this.now
          ? live
          : { status: alert.status, labels: alert.labels, changedAt: this.now, changes: [], flapping: false, expires: 0 };
      if (entry.status !== alert.status) {
        entry.changes.push(this.now);
        entry.status = alert.status;
        entry.changedAt = this.now;
      }
      entry.labels = alert.labels;
      entry.changes = entry.changes.filter((t) => t > this.now - flapWindowMs);
      const became = !entry.flapping && entry.changes.length >= flapChanges;
      if (became) entry.flapping = true;
      entry.expires = this.now + flapWindowMs + flapQuietMs;
      this.flaps.set(alert.fingerprint, entry);
      if (!entry.flapping) continue;
      const changedAt = entry.changedAt;
      this.after(changedAt + flapQuietMs + 50, () => this.settle(alert.fingerprint, entry));
      if (!became) held[index] = { state: 'flapping', detail: `flapping: ${entry.changes.length} changes` };
    }
  }

  private settle(fingerprint: string, entry: FlapEntry): void {
    if (this.flaps.get(fingerprint) !== entry || !entry.flapping || this.now - entry.changedAt < this.config.settings.flapQuietMs) return;
    entry.flapping = false;
    entry.changes = [];
    for (const channelId of decideRoutes(this.config.routes, entry.labels).channelIds)
      this.emit({ at: this.now, kind: 'flap-summary', channelId, routeId: null, alerts: 1 });
    // Open incidents holding it take the settled status as told; one with nothing firing is due to close.
    for (const incident of this.incidentsByKey.values()) {
      const member = incident.members.get(fingerprint);
      if (incident.resolved || !member) continue;
      const status = entry.status;
      incident.members.set(fingerprint, this.member(status, status));
      if (status === 'firing' || [...incident.members.values()].some((m) => m.status === 'firing')) continue;
      incident.pendingSince ??= this.now;
      this.bookUpdate(incident);
    }
  }

  private group(
    alerts: AlertmanagerAlert[],
    taken: number[],
    held: Array<ModelOutcome | null>,
    decide: (index: number) => RouteDecision,
  ): void {
    const byKey = new Map<string, { policy: CompiledPolicy; indexes: number[] }>();
    for (const index of taken) {
      const policy = this.config.policies.find((p) => policyApplies(p, alerts[index].labels));
      if (!policy) continue;
      const key = correlationKey(policy, alerts[index].labels);
      const group = byKey.get(key) ?? { policy, indexes: [] };
      group.indexes.push(index);
      byKey.set(key, group);
    }
    for (const [key, { policy, indexes }] of byKey) {
      const members = indexes.map((i) => alerts[i]);
      const incident = this.incidentsByKey.get(key);
      const reopenable =
        incident?.resolved && incident.resolvedAt !== null && incident.resolvedAt >= this.now - incident.policy.reopenGraceSeconds * 1000;
      if (incident && (!incident.resolved || reopenable)) {
        if (incident.resolved) {
          incident.resolved = false;
          incident.resolvedAt = null;
          this.incidentsReopened++;
        }
        this.fold(incident, members, Boolean(reopenable), false);
        for (const index of indexes) held[index] = { state: 'grouped', detail: `part of incident ${key.slice(0, 12)}` };
        continue;
      }
      // A new problem: its alerts go out at once, and open the incident.
      const channelIds = [...new Set(indexes.flatMap((i) => decide(i).channelIds))];
      const opened: ModelIncident = {
        key,
        policy,
        resolved: false,
        openedAt: this.now,
        lastAlertAt: this.now,
        lastNotifiedAt: null,
        pendingSince: null,
        resolvedAt: null,
        channelIds,
        members: new Map(members.map((a) => [a.fingerprint, this.member(a.status, a.status)])),
        updateBooked: false,
        quietCheckAt: null,
      };
      this.incidentsByKey.set(key, opened);
      this.incidentsOpened++;
      this.watchQuiet(opened);
    }
  }

  /** Released alerts join their incident only while it is open. */
  private joinOpen(alert: AlertmanagerAlert): boolean {
    const policy = this.config.policies.find((p) => policyApplies(p, alert.labels));
    const incident = policy ? this.incidentsByKey.get(correlationKey(policy, alert.labels)) : undefined;
    if (!incident || incident.resolved) return false;
    this.fold(incident, [alert], false, false);
    return true;
  }

  private fold(incident: ModelIncident, alerts: AlertmanagerAlert[], reopened: boolean, alreadySent: boolean): void {
    for (const a of alerts) {
      const member = incident.members.get(a.fingerprint);
      incident.members.set(a.fingerprint, this.member(a.status, alreadySent ? a.status : (member?.told ?? null)));
    }
    const changed = !alreadySent && (reopened || [...incident.members.values()].some((m) => m.told !== m.status));
    incident.lastAlertAt = this.now;
    if (changed) incident.pendingSince ??= this.now;
    if (incident.pendingSince !== null) this.bookUpdate(incident);
    this.watchQuiet(incident);
  }

  /** An incident member as reported now. */
  private member(status: string, told: string | null): IncidentMember {
    return { status, told, resolvedAt: status === 'resolved' ? this.now : null };
  }

  /** The incident's next notification: once its update interval allows, and not before `notBefore` (a resolve hold). */
  private bookUpdate(incident: ModelIncident, notBefore = 0): void {
    if (incident.updateBooked) return;
    incident.updateBooked = true;
    const due = Math.max(
      this.now,
      notBefore,
      (incident.lastNotifiedAt ?? incident.openedAt) + incident.policy.updateIntervalSeconds * 1000,
    );
    this.after(due, () => {
      incident.updateBooked = false;
      this.notify(incident);
    });
  }

  /** An open incident quiet for longer than its window closes: that is something to tell. */
  private watchQuiet(incident: ModelIncident): void {
    const at = incident.lastAlertAt + incident.policy.windowSeconds * 1000 + 1;
    if (incident.quietCheckAt !== null && incident.quietCheckAt <= at) return;
    incident.quietCheckAt = at;
    this.after(at, () => {
      incident.quietCheckAt = null;
      if (incident.resolved) return;
      if (this.now - incident.lastAlertAt <= incident.policy.windowSeconds * 1000) return this.watchQuiet(incident);
      incident.pendingSince ??= this.now;
      this.bookUpdate(incident);
    });
  }

  /** The update or resolution an incident's pending change makes, as the incident notifier decides it. */
  private notify(incident: ModelIncident): void {
    if (incident.pendingSince === null || incident.resolved) return;
    const members = [...incident.members.values()];
    const changed = members.filter((m) => m.told !== m.status);
    const firing = members.filter((m) => m.status === 'firing').length;
    const heldUntil = resolutionHeldUntil(incident.policy.resolveHoldSeconds, members, this.now);
    if (heldUntil !== null) return this.bookUpdate(incident, heldUntil);
    const quiet = this.now - incident.lastAlertAt > incident.policy.windowSeconds * 1000;
    const resolution = firing === 0 || quiet;
    incident.pendingSince = null;
    if (!resolution && !changed.some((m) => m.status === 'firing')) return;
    const shown = changed.length > 0 ? changed.length : firing;
    // All resolved, as last told: closed without a notification.
    if (shown === 0) {
      incident.resolved = true;
      incident.resolvedAt = this.now;
      return;
    }
    for (const channelId of incident.channelIds)
      this.emit({ at: this.now, kind: resolution ? 'incident-resolution' : 'incident-update', channelId, routeId: null, alerts: shown });
    for (const m of members) m.told = m.status;
    incident.lastNotifiedAt = this.now;
    if (resolution) {
      incident.resolved = true;
      incident.resolvedAt = this.now;
    }
  }

  private converge(alerts: AlertmanagerAlert[], taken: number[], held: Array<ModelOutcome | null>): void {
    const windowMs = this.config.settings.convergenceWindowMs;
    for (const index of taken) {
      const alert = alerts[index];
      if (alert.status === 'resolved') {
        this.convergence.delete(alert.fingerprint);
        continue;
      }
      const window = this.convergence.get(alert.fingerprint);
      if (!window || window.expiresAt <= this.now) {
        this.convergence.set(alert.fingerprint, { expiresAt: this.now + windowMs + CONVERGENCE_EDGE_MARGIN_MS, count: 1 });
        continue;
      }
      window.count++;
      held[index] = { state: 'converged', detail: `repeat ${window.count - 1} within the convergence window` };
      if (window.count !== 2) continue;
      const { labels, fingerprint } = alert;
      this.after(window.expiresAt - 250, () => {
        if (this.convergence.get(fingerprint) !== window) return;
        for (const channelId of decideRoutes(this.config.routes, labels).channelIds)
          this.emit({ at: this.now, kind: 'convergence-summary', channelId, routeId: null, alerts: 1 });
      });
    }
  }

  /** A route window's decisions for alerts one route sends to one channel (see decideWindow); books its tick. */
  private offerWindow(
    routeId: string,
    channelId: string,
    settings: NonNullable<RouteDecision['routes'][number]['window']>,
    alerts: AlertmanagerAlert[],
  ): string[] {
    const key = `${routeId}|${channelId}`;
    const window = this.routeWindows.get(key) ?? { lastFlushAt: null, nextFlushAt: null, alerts: new Map<string, KnownAlert>() };
    this.routeWindows.set(key, window);
    const receiptId = `model-${this.fed}`;
    const verdict = decideWindow(
      settings,
      window,
      receiptId,
      this.now,
      alerts.map((a) => ({ status: a.status, known: window.alerts.get(a.fingerprint) ?? null })),
    );
    verdict.decisions.forEach((decision, i) => {
      const { fingerprint, status } = alerts[i];
      const known = window.alerts.get(fingerprint);
      if (decision === 'send')
        window.alerts.set(fingerprint, { status, queuedAt: null, queuedBy: null, toldStatus: status, toldAt: this.now, toldBy: receiptId });
      else if (decision === 'queue')
        window.alerts.set(fingerprint, {
          status,
          queuedAt: this.now,
          queuedBy: receiptId,
          toldStatus: known?.toldStatus ?? null,
          toldAt: known?.toldAt ?? null,
          toldBy: known?.toldBy ?? null,
        });
      else if (decision === 'drop') window.alerts.delete(fingerprint);
      else if (known?.queuedAt != null) known.status = status;
    });
    if (verdict.sends) window.lastFlushAt = this.now;
    if (verdict.nextFlushAt !== null && window.nextFlushAt === null) {
      window.nextFlushAt = verdict.nextFlushAt;
      this.after(verdict.nextFlushAt, () => {
        window.nextFlushAt = null;
        const queued = [...window.alerts.values()].filter((a) => a.queuedAt !== null);
        if (queued.length === 0) return;
        for (const a of queued) Object.assign(a, { queuedAt: null, queuedBy: null, toldStatus: a.status, toldAt: this.now, toldBy: null });
        window.lastFlushAt = this.now;
        this.emit({ at: this.now, kind: 'route-window', channelId, routeId, alerts: queued.length });
      });
    }
    return verdict.decisions;
  }

  /** Keeps memory bounded on long replays: drops state nothing can consult again. */
  private forgetExpired(): void {
    for (const [key, until] of this.copies) if (until <= this.now) this.copies.delete(key);
    for (const [key, entry] of this.flaps) if (entry.expires <= this.now && !entry.flapping) this.flaps.delete(key);
    for (const [key, window] of this.convergence) if (window.expiresAt <= this.now) this.convergence.delete(key);
    for (const window of this.routeWindows.values()) {
      for (const [fingerprint, a] of window.alerts)
        if (a.queuedAt === null && a.toldAt !== null && a.toldAt < this.now - 8 * 86_400_000) window.alerts.delete(fingerprint);
    }
    for (const [key, incident] of this.incidentsByKey) {
      if (incident.resolved && incident.resolvedAt !== null && incident.resolvedAt < this.now - incident.policy.reopenGraceSeconds * 1000)
        this.incidentsByKey.delete(key);
    }
  }
}
