import type { AlertView } from '../channels/message';

/** Every queue and the data its jobs carry. Job data holds ids and small values; processors reload the rest. */
export interface QueueJobs {
  /** Deletes stored data past its retention, every kind in batches. */
  'maintenance.prune': Record<string, never>;
  /** Wakes a delivery up for its next attempt; the delivery row decides whether one is due. */
  'delivery.attempt': { deliveryId: string };
  /** A channel's robot may take another message: send what waits in the channel's queue. */
  'delivery.drain': { channelId: string };
  /** At the end of a convergence window: tell the alert's channels how many repeats were folded. */
  'gateway.convergence-summary': {
    windowKey: string;
    owner: string;
    channelIds: string[];
    alert: AlertView;
    windowMs: number;
    receiver?: string;
    groupKey?: string;
  };
  /** An incident has something new to tell (flag gateway.grouping): send its update or resolution once its interval allows. */
  'gateway.incident-update': { incidentId: string };
  /** A flapping alert may have settled (flag gateway.advanced-convergence): summarise it once if it has. */
  'gateway.flap-settle': { fingerprint: string };
  /** A route window's tick (flag gateway.advanced-convergence): send what it gathered, if due. */
  'gateway.route-window-flush': { routeId: string; channelId: string };
  /** A replay of recorded receipts through a proposed gateway configuration (simulateGateway). */
  'gateway.simulate': { simulationId: string };
  /** One try of an analysis; the analysis row decides whether one is due. */
  'analysis.run': { analysisId: string };
  /** A callback-mode analysis whose result has not arrived in time. */
  'analysis.timeout': { analysisId: string; attempt: number };
  /** An alert's escalation may be due at its next level (flag analysis.escalation); the escalation row decides. */
  'escalation.step': { fingerprint: string; startsAt: string };
  /** One round of health checks over every cluster's replicas. */
  'clusters.health-check': Record<string, never>;
}

export type QueueName = keyof QueueJobs;
