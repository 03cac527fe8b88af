export type MatchOperator = '=' | '!=' | '=~' | '!~';

/** One Alertmanager-style matcher, e.g. severity="critical" or team=~"db|infra". */
export interface LabelMatcher {
  name: string;
  operator: MatchOperator;
  value: string;
}
