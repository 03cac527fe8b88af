import type { LabelMatcher } from '../gateway/label-matcher';
import { BUILT_IN_ROLES, type BuiltInRole } from '../../domain/roles';

export { BUILT_IN_ROLES, type BuiltInRole } from '../../domain/roles';

/**
 * What may be done to what: a permission is `resource:action`. Every GraphQL operation and plain
 * route asks for one; roles are sets of them (three built in, more defined by admins), narrowed
 * by scopes (channel groups; clusters by label).
 */
export const PERMISSIONS = {
  'alerts:read': 'Alert records and live gateway events',
  'alerts:write': 'Post alerts to the Alertmanager webhook',
  'alerts:ack': 'Acknowledge alerts and incidents (stops their escalation)',
  'channels:read': 'Channels, channel groups, deliveries and channel health',
  'channels:write': 'Create, change and delete channels and channel groups',
  'channels:test': 'Send a test message through a channel',
  'routes:read': 'Gateway routes',
  'routes:write': 'Create, change and delete gateway routes',
  'clusters:read': 'Clusters, their health, sync state, silences and alerts',
  'clusters:deploy': "Clusters' config templates and rendered config versions (secrets masked)",
  'clusters:write': "Change a cluster's settings and config (re-rendered and deployed by its sidecars)",
  'clusters:admin': 'Register and delete clusters and rotate their credentials',
  'rules:read': 'Rule groups, versions, diffs and rule files',
  'rules:write': 'Create, change, import, roll back and delete rule groups (deployed by sidecars)',
  'analysis:read': 'Analysis providers, analyses, trends and live results',
  'analysis:write': 'Run and retry analyses, give feedback',
  'analysis:admin': 'Create, change and delete analysis providers',
  'remediation:admin': 'The remediation allowlist: n8n workflows that analyses may propose',
  'remediation:approve': 'Approve remediation runs awaiting approval',
  'flags:read': 'Feature flags, where their values come from, and their changes',
  'flags:write': 'Set and clear flag overrides (above Unleash and the bootstrap file)',
  'tokens:admin': 'API tokens and roles: list, create, change, revoke',
  'audit:read': 'The audit trail',
  'backup:read': 'Download a backup of the whole database (secrets stay sealed)',
} as const;

export type Permission = keyof typeof PERMISSIONS;
export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

const VIEWER: Permission[] = ['alerts:read', 'channels:read', 'routes:read', 'clusters:read', 'rules:read', 'analysis:read', 'flags:read'];
const OPERATOR: Permission[] = [
  ...VIEWER,
  'alerts:write',
  'alerts:ack',
  'channels:write',
  'channels:test',
  'routes:write',
  'clusters:deploy',
  'rules:write',
  'analysis:write',
];

/** The built-in roles as presets: viewer reads; operator also runs the alert path day to day; admin may do everything. */
export const PRESETS: Record<BuiltInRole, readonly Permission[]> = {
  viewer: VIEWER,
  operator: OPERATOR,
  admin: ALL_PERMISSIONS,
};

export function isBuiltInRole(name: string): name is BuiltInRole {
  return (BUILT_IN_ROLES as readonly string[]).includes(name);
}

export function isPermission(name: string): name is Permission {
  return name in PERMISSIONS;
}

/** Where a role's permissions apply; null means everywhere. */
export interface Scopes {
  /** Channel groups (each with its subgroups) whose channels the role may see and touch. */
  channelGroups: string[] | null;
  /** Clusters whose labels match all of these. */
  clusters: LabelMatcher[] | null;
}

export const UNSCOPED: Scopes = { channelGroups: null, clusters: null };

/** What a caller may do: its role's permissions and scopes, resolved once per request. */
export interface Grant {
  role: string;
  permissions: ReadonlySet<Permission>;
  scopes: Scopes;
}

export function presetGrant(role: BuiltInRole): Grant {
  return { role, permissions: new Set(PRESETS[role]), scopes: UNSCOPED };
}

/** True when a grant holds every permission of a built-in role (is at least that role). */
export function atLeast(grant: Grant, role: BuiltInRole): boolean {
  return PRESETS[role].every((p) => grant.permissions.has(p));
}
