import type { FlagName } from './flag-definitions';

/** Who decided a flag's value, highest first: an override, Unleash, the bootstrap file, the built-in default. */
export type FlagSource = 'override' | 'unleash' | 'bootstrap' | 'default';

export interface FlagContext {
  userId?: string;
  /** cluster, team, severity: Unleash strategies and constraints can target them. */
  properties?: Record<string, string>;
}

/** An override set by an administrator or by the AI maturity evaluator. */
export interface FlagOverride {
  enabled: boolean;
  reason: string;
  /** As the audit trail names them, e.g. `jwt:alice` or `system:maturity-evaluator`. */
  actor: string;
  expiresAt: Date | null;
  createdAt: Date;
}

export interface FlagState {
  name: FlagName;
  enabled: boolean;
  source: FlagSource;
  phase: 1 | 2;
  description: string;
  /** The override in force, if any. */
  override: FlagOverride | null;
}

/** What services ask about flags; tests pass a fake. */
export interface FlagResolver {
  isEnabled(name: FlagName, context?: FlagContext): boolean;
  list(context?: FlagContext): FlagState[];
}

/**
 * The Unleash context of one alert: its cluster and its `team` and `severity` labels, so a flag
 * can be rolled out per cluster, per team or for critical alerts only.
 */
export function alertFlagContext(cluster: string | null | undefined, labels: Record<string, string> = {}): FlagContext {
  const properties: Record<string, string> = {};
  if (cluster) properties.cluster = cluster;
  if (labels.team) properties.team = labels.team;
  if (labels.severity) properties.severity = labels.severity;
  return { properties };
}

/** The context of a whole notification: the labels its alerts share (cluster, team, severity when common). */
export function receiptFlagContext(commonLabels: Record<string, string> | undefined): FlagContext {
  return alertFlagContext(commonLabels?.cluster, commonLabels);
}
