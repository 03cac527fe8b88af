import type { ExecutionStatus } from '../../entities/remediation/remediation.entity';

type Changed = 'created' | 'updated' | 'deleted';

/** Kinds of configuration stored through NamedConfigStore, each audited as `<kind>.<change>`. */
export type NamedConfigAuditKind = 'inhibition' | 'policy' | 'experiment' | 'maintenance' | 'escalation-policy';

/**
 * Every action the audit trail records, by name. Code that reacts to audit events (the webhook's
 * credential cache, the console) depends on these names: a rename that misses one does not compile.
 */
export type AuditAction =
  | 'access.denied'
  | 'ack-link.refused'
  | 'alert.acknowledged'
  | 'incident.acknowledged'
  | `analysis-provider.${Changed}`
  | 'analysis.feedback'
  | `api-token.${'created' | 'revoked' | 'rotated'}`
  | `backup.${'created' | 'restored'}`
  | `channel.${Changed}`
  | `channel-group.${'created' | 'deleted'}`
  | `cluster.${Changed | 'config-published' | 'credentials-rotated'}`
  | 'flag.changed'
  | `flag.override.${'set' | 'cleared' | 'refused'}`
  | `remediation-action.${Changed}`
  | `remediation.${ExecutionStatus | 'approved' | 'approval-refused'}`
  | `role.${Changed}`
  | `route.${Changed}`
  | `rule-group.${Changed | 'rolled-back'}`
  | 'secrets.resealed'
  | 'tls.verification-disabled'
  | `${NamedConfigAuditKind}.${Changed}`
  | `experiment.${'stopped' | 'promoted'}`;
