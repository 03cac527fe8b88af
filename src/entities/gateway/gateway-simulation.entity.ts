import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export const SIMULATION_STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type SimulationState = (typeof SIMULATION_STATES)[number];

/**
 * One replay of recorded receipts through a proposed gateway configuration (simulateGateway): a
 * background job with progress, cancellable, whose result is kept for reading later.
 */
@Entity({ tableName: 'gateway_simulation' })
@Index({ properties: ['createdAt'] })
export class GatewaySimulationEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 16 })
  state: SimulationState = 'queued';

  @Property({ type: 'datetime' })
  rangeFrom!: Date;

  @Property({ type: 'datetime' })
  rangeTo!: Date;

  /** The proposal as given (validated when the replay was asked for). */
  @Property({ type: 'json' })
  proposal!: Record<string, unknown>;

  @Property({ type: 'integer' })
  receiptsTotal: number = 0;

  @Property({ type: 'integer' })
  receiptsDone: number = 0;

  @Property({ type: 'boolean' })
  cancelRequested: boolean = false;

  @Property({ type: 'json', nullable: true })
  result?: Record<string, unknown> | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'string', length: 200 })
  requestedBy!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  startedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date | null;
}
