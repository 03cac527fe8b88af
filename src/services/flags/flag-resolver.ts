import type { FlagName } from './flag-definitions';

export type FlagSource = 'unleash' | 'bootstrap' | 'default';

export interface FlagContext {
  userId?: string;
  /** e.g. cluster, team, severity: Unleash strategies can target them. */
  properties?: Record<string, string>;
}

export interface FlagState {
  name: FlagName;
  enabled: boolean;
  source: FlagSource;
  phase: 1 | 2;
  description: string;
}

/** What services ask about flags; tests pass a fake. */
export interface FlagResolver {
  isEnabled(name: FlagName, context?: FlagContext): boolean;
  list(context?: FlagContext): FlagState[];
}
