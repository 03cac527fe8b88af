/** What a flag is for and when it turns on by default. */
export interface FlagDefinition {
  phase: 1 | 2;
  defaultEnabled: boolean;
  description: string;
}

/**
 * Every feature flag AlertAgent reads, in one place. Phase 1 is timeliness (on unless noted),
 * phase 2 is intelligence (always off by default; switched on in Unleash or the bootstrap file).
 */
export const FLAG_DEFINITIONS = {
  'gateway.convergence': {
    phase: 1,
    defaultEnabled: false,
    description: 'Fold repeats of one alert fingerprint within a time window into one notification',
  },
  'analysis.enabled': {
    phase: 1,
    defaultEnabled: false,
    description: 'Analyse delivered alerts asynchronously with the configured AI provider',
  },
  'gateway.advanced-convergence': {
    phase: 2,
    defaultEnabled: false,
    description: 'Flap damping: an alert changing between firing and resolved too often is told once as flapping, held, and summarised when it settles',
  },
  'gateway.grouping': { phase: 2, defaultEnabled: false, description: 'Group related alerts into one incident' },
  'gateway.inhibition': {
    phase: 2,
    defaultEnabled: false,
    description: "Inhibition rules with Alertmanager's semantics over the alerts of every cluster",
  },
  'routing.smart': { phase: 2, defaultEnabled: false, description: 'Route by severity, labels and owning team' },
  'routing.learning': {
    phase: 2,
    defaultEnabled: false,
    description: 'Learn from outcomes to improve routing, with A/B tests of routing rules',
  },
  'analysis.remediation': {
    phase: 2,
    defaultEnabled: false,
    description: 'Let high-confidence analyses trigger automated remediation workflows',
  },
  'analysis.escalation': {
    phase: 2,
    defaultEnabled: false,
    description: 'Escalate to the owning team with the analysis attached',
  },
} as const satisfies Record<string, FlagDefinition>;

export type FlagName = keyof typeof FLAG_DEFINITIONS;
export const FLAG_NAMES = Object.keys(FLAG_DEFINITIONS) as FlagName[];

export function isFlagName(name: string): name is FlagName {
  return Object.hasOwn(FLAG_DEFINITIONS, name);
}
