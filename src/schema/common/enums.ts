import { registerEnumType } from 'type-graphql';
import type { Role } from '../../entities/security/api-token.entity';

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
  description: 'viewer reads; operator also changes operational state; admin also manages access and configuration',
});

export function toRoleName(role: Role): RoleName {
  return role as RoleName;
}
