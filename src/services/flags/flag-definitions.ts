/** What a flag is for and when it turns on by default. */
export interface FlagDefinition {
  phase: 1 | 2;
  defaultEnabled: boolean;
  description: string;
  /** Acts on AI output: the maturity evaluator switches it off while a provider is degraded. */
  aiDriven?: boolean;
}

/**
 * Every feature flag AlertAgent reads, in one place (a flag is listed only once something reads
 * it). Phase 1 is timeliness, phase 2 is intelligence: all off by default, switched on in
 * Unleash or the bootstrap file, read on the hot path, so a change applies on every replica
 * within one flag refresh; off gives exactly phase-1 behaviour.
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
    description:
      'Route windows (group wait, interval and repeat per route and channel across clusters) and flap damping: an alert changing between firing and resolved too often is told once as flapping, held, and summarised when it settles',
  },
  'gateway.grouping': { phase: 2, defaultEnabled: false, description: 'Group related alerts into one incident' },
  'gateway.maintenance': {
    phase: 2,
    defaultEnabled: false,
    description:
      'Maintenance windows: alerts they cover are recorded as suppressed, and what still fires when a window closes is sent then',
  },
  'analysis.escalation': {
    phase: 2,
    defaultEnabled: false,
    description:
      'Escalation policies: a firing alert nobody acknowledges in time is sent to the next level, with its analysis and a link to acknowledge',
  },
  'analysis.remediation': {
    phase: 2,
    defaultEnabled: false,
    aiDriven: true,
    description:
      'Remediation through n8n: an analysis may propose an action from the allowlist, which is suggested, put up for approval or run, as the action says; off stops anything not yet run',
  },
  'routing.smart': {
    phase: 2,
    defaultEnabled: false,
    aiDriven: true,
    description:
      "Smart routing: once an alert's analysis names a team or category with enough confidence, the follow-ups of its routes tell those channels too (after the first notice, never instead of it)",
  },
  'routing.learning': {
    phase: 2,
    defaultEnabled: false,
    description:
      "A/B tests of routes: alerts split by their labels between a route and a variant of it; each arm's notifications, time to acknowledge and resolve and negative feedback reported with confidence intervals, and the winner promoted",
  },
  'gateway.inhibition': {
    phase: 2,
    defaultEnabled: false,
    description: "Inhibition rules with Alertmanager's semantics over the alerts of every cluster",
  },
} as const satisfies Record<string, FlagDefinition>;

export type FlagName = keyof typeof FLAG_DEFINITIONS;
export const FLAG_NAMES = Object.keys(FLAG_DEFINITIONS) as FlagName[];

export function isFlagName(name: string): name is FlagName {
  return Object.hasOwn(FLAG_DEFINITIONS, name);
}

/** Flags that act on AI output: switched off by the maturity evaluator while a provider is degraded. */
export const AI_DRIVEN_FLAGS = FLAG_NAMES.filter((name) => (FLAG_DEFINITIONS[name] as FlagDefinition).aiDriven === true);
