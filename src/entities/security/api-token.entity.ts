import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

import { BUILT_IN_ROLES, type BuiltInRole } from '../../domain/roles';

/** The built-in roles a token may name (one list, in permissions). */
export const ROLES = BUILT_IN_ROLES;
export type Role = BuiltInRole;

/** A long-lived bearer credential; only its SHA-256 is stored. */
@Entity({ tableName: 'api_token' })
export class ApiTokenEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100 })
  name!: string;

  /** A built-in role (viewer, operator, admin) or the name of a role an admin defined. */
  @Property({ type: 'string', length: 64 })
  role!: string;

  @Property({ type: 'string', length: 64, unique: true })
  tokenHash!: string;

  /** First characters of the token, shown so a user can tell tokens apart. */
  @Property({ type: 'string', length: 16 })
  prefix!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  createdBy?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastUsedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  revokedAt?: Date | null;
}
