import { presetGrant, type Grant, type Permission } from './permissions';

/** Who is calling: resolved once per request from its bearer token. */
export interface Principal {
  kind: 'api-token' | 'jwt' | 'bootstrap' | 'cli' | 'cluster' | 'system';
  /** Token id or JWT subject. */
  id: string;
  name: string;
  /** The role's name: viewer, operator, admin, or a role an admin defined. */
  role: string;
  /** What the role allows, and where. */
  grant: Grant;
}

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.grant.permissions.has(permission);
}

/** How the audit trail names a principal. */
export function actorOf(principal: Principal): string {
  return `${principal.kind}:${principal.name}`;
}

export const CLI_PRINCIPAL: Principal = { kind: 'cli', id: 'cli', name: 'cli', role: 'admin', grant: presetGrant('admin') };

/** AlertAgent itself acting (the flag sources, the AI maturity evaluator), as the audit trail names it. */
export function systemPrincipal(name: string): Principal {
  return { kind: 'system', id: name, name, role: 'admin', grant: presetGrant('admin') };
}
