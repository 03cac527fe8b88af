export interface RuleDefinition {
  kind: 'alert' | 'record';
  name: string;
  expr: string;
  for?: string;
  keepFiringFor?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroupDefinition {
  name: string;
  interval?: string;
  limit?: number;
  rules: RuleDefinition[];
}
