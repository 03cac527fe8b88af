import { registerEnumType } from 'type-graphql';

export enum SortOrder {
  ASC = 'asc',
  DESC = 'desc',
}
registerEnumType(SortOrder, { name: 'SortOrder', description: 'Direction of a sorted list' });

/** GraphQL spelling of the stored role names. */
export enum RoleName {
  VIEWER = 'viewer',
  OPERATOR = 'operator',
  ADMIN = 'admin',
}
registerEnumType(RoleName, {
  name: 'Role',
  description:
    'The built-in roles: viewer reads; operator also changes operational state; admin may do everything. Each is a preset of permissions (see accessRoles)',
});

/** The enum value of a built-in role; null for a role an admin defined. */
export function toRoleName(role: string): RoleName | null {
  return (Object.values(RoleName) as string[]).includes(role) ? (role as RoleName) : null;
}
