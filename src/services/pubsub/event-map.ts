import type { AuditAction } from '../security/audit-actions';

/** An administrative action as streamed to subscribers. */
export interface AuditRecordedEvent {
  id: string;
  actor: string;
  action: AuditAction;
  targetType: string;
  targetId: string | null;
  permission: string | null;
  createdAt: string;
}

/** A flag's value or deciding source changed, recorded once across replicas. */
export interface FlagChangedEvent {
  name: string;
  enabled: boolean;
  source: 'override' | 'unleash' | 'bootstrap' | 'default';
  previousEnabled: boolean | null;
  previousSource: 'override' | 'unleash' | 'bootstrap' | 'default' | null;
  /** Who or what made the change, as the audit trail names them. */
  actor: string;
  reason: string;
  at: string;
}

export interface RoutesChangedEvent {
  at: string;
}

/** Correlation policies (or inhibition rules) changed somewhere: every replica reloads them. */
export interface PoliciesChangedEvent {
  at: string;
}

/** An incident opened, took alerts, was notified, resolved or reopened (flag gateway.grouping). */
export interface IncidentEvent {
  incidentId: string;
  title: string;
  change: 'opened' | 'joined' | 'reopened' | 'notified' | 'resolved';
  state: 'open' | 'updated' | 'resolved';
  /** Alerts this change concerns. */
  alerts: number;
  /** For replicas: the incident's correlation key, and until when a resolved one may reopen. */
  correlationKey: string;
  reopenUntil: string | null;
  at: string;
}

/** The gateway started or stopped refusing webhooks because too many alerts wait for their first send. */
export interface GatewayLoadEvent {
  overloaded: boolean;
  inFlightAlerts: number;
  limit: number;
  /** Alerts refused during the overload (so far, or in all when it ends). */
  refusedAlerts: number;
  at: string;
}

/** What happened to an alert on its way through the gateway. */
export interface GatewayEvent {
  type:
    | 'received'
    | 'routed'
    | 'delivered'
    | 'resolved'
    | 'failed'
    | 'unrouted'
    | 'duplicate'
    | 'converged'
    | 'grouped'
    | 'inhibited'
    | 'flapping'
    | 'suppressed'
    | 'batched';
  recordId: string;
  receiptId: string;
  fingerprint: string;
  alertname: string;
  severity: string | null;
  cluster: string | null;
  status: 'firing' | 'resolved';
  at: string;
  detail: string | null;
}

/** One replica's state after a health check. */
export interface ReplicaHealthEvent {
  url: string;
  up: boolean;
  responseMs: number;
  version: string | null;
  peers: number | null;
  error: string | null;
  checkedAt: string;
}

/** A cluster after a round of health checks. */
export interface ClusterHealthEvent {
  clusterId: string;
  clusterName: string;
  status: 'unknown' | 'healthy' | 'degraded' | 'down';
  previousStatus: 'unknown' | 'healthy' | 'degraded' | 'down';
  replicas: ReplicaHealthEvent[];
  at: string;
}

/** What a sidecar reported about applying its cluster's config. */
export interface ClusterSyncEvent {
  clusterId: string;
  clusterName: string;
  instance: string;
  kind: 'alertmanager' | 'prometheus';
  desiredHash: string;
  appliedHash: string | null;
  ok: boolean;
  error: string | null;
  at: string;
}

/** An analysis moved: queued, running, succeeded, failed or timed out. */
export interface AnalysisEvent {
  analysisId: string;
  recordId: string;
  providerId: string;
  providerName: string;
  alertname: string;
  fingerprint: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'timed_out';
  attempts: number;
  parsed: boolean | null;
  rootCause: string | null;
  confidence: number | null;
  error: string | null;
  at: string;
}

/** An analysis provider changed maturity state (recorded once across replicas). */
export interface AiMaturityEvent {
  providerId: string;
  providerName: string;
  state: 'trusted' | 'probation' | 'degraded';
  previousState: 'trusted' | 'probation' | 'degraded';
  reason: string;
  at: string;
}

/** A channel started or stopped missing its SLO (recorded once across replicas). */
export interface ChannelSloEvent {
  channelId: string;
  channelName: string;
  breached: boolean;
  successRate: number | null;
  p95LatencyMs: number | null;
  attempts: number;
  /** The SLO as configured. */
  target: { successRate: number; p95LatencyMs: number | null; windowMinutes: number; minAttempts: number };
  at: string;
}

/** Every event that crosses the bus, by name. Payloads are JSON-safe (dates as ISO strings). */
export interface EventMap {
  'audit.recorded': AuditRecordedEvent;
  'flag.changed': FlagChangedEvent;
  /** An override was set or cleared: every replica re-reads them. */
  'flags.overrides-changed': PoliciesChangedEvent;
  'escalations.changed': PoliciesChangedEvent;
  'experiments.changed': PoliciesChangedEvent;
  'routes.changed': RoutesChangedEvent;
  'policies.changed': PoliciesChangedEvent;
  'inhibitions.changed': PoliciesChangedEvent;
  'maintenance.changed': PoliciesChangedEvent;
  'incident.changed': IncidentEvent;
  'gateway.event': GatewayEvent;
  'gateway.load': GatewayLoadEvent;
  'cluster.health': ClusterHealthEvent;
  'cluster.sync': ClusterSyncEvent;
  'analysis.event': AnalysisEvent;
  'ai.maturity': AiMaturityEvent;
  'channel.slo': ChannelSloEvent;
}

export type EventName = keyof EventMap;
