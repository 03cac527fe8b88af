import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** What arm B changes of the route under test; what it leaves out stays as the route has it. */
export interface RouteVariant {
  channelIds?: string[];
  perAlert?: boolean;
  groupWaitSeconds?: number | null;
  groupIntervalSeconds?: number | null;
  repeatIntervalSeconds?: number | null;
}

export type ExperimentState = 'running' | 'promoted' | 'stopped';

/** An A/B test of a route (flag routing.learning): alerts split by their labels between the route as it is (A) and a variant (B). */
@Entity({ tableName: 'routing_experiment' })
export class RoutingExperimentEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Property({ type: 'uuid' })
  routeId!: string;

  @Property({ type: 'json' })
  variant!: RouteVariant;

  /** Share of alerts in arm B, in percent. */
  @Property({ type: 'integer' })
  splitPercent!: number;

  @Property({ type: 'string', length: 16 })
  state: ExperimentState = 'running';

  @Property({ type: 'string', length: 1, nullable: true })
  winner?: 'A' | 'B' | null;

  @Property({ type: 'datetime' })
  startedAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  endedAt?: Date | null;

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
