import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** An administrator's (or the maturity evaluator's) decision that outranks Unleash and the bootstrap file. */
@Entity({ tableName: 'flag_override' })
export class FlagOverrideEntity {
  @PrimaryKey({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'boolean' })
  enabled!: boolean;

  @Property({ type: 'text' })
  reason!: string;

  /** Who set it, as the audit trail names them (e.g. `jwt:alice`, `system:maturity-evaluator`). */
  @Property({ type: 'string', length: 200 })
  actor!: string;

  @Property({ type: 'datetime', nullable: true })
  expiresAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}

/**
 * The last value of each flag that was recorded as a change. Every replica sees a change from
 * Unleash or the file by itself; the one whose update of this row succeeds records it, once.
 */
@Entity({ tableName: 'flag_state' })
export class FlagStateEntity {
  @PrimaryKey({ type: 'string', length: 100 })
  name!: string;

  @Property({ type: 'boolean' })
  enabled!: boolean;

  @Property({ type: 'string', length: 20 })
  source!: string;

  @Property({ type: 'datetime' })
  changedAt: Date = new Date();
}
