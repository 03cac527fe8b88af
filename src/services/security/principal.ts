import { ROLES, type Role } from '../../entities/security/api-token.entity';

/** Who is calling: resolved once per request from its bearer token. */
export interface Principal {
  kind: 'api-token' | 'jwt' | 'bootstrap' | 'cli' | 'cluster';
  /** Token id or JWT subject. */
  id: string;
  name: string;
  role: Role;
}

/** Roles are ordered: admin can do what operator can, operator what viewer can. */
export function roleAllows(held: Role, required: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(required);
}

/** How the audit trail names a principal. */
export function actorOf(principal: Principal): string {
  return `${principal.kind}:${principal.name}`;
}

export const CLI_PRINCIPAL: Principal = { kind: 'cli', id: 'cli', name: 'cli', role: 'admin' };
