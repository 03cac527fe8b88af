import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { LabelMatcher } from '../../domain/label-matcher';
import type { FollowUpRule } from '../../domain/routing';

/** One static routing rule: alerts whose labels match go to these channels. Routes are tried by position. */
@Entity({ tableName: 'gateway_route' })
export class GatewayRouteEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Property({ type: 'integer' })
  position!: number;

  @Property({ type: 'json' })
  matchers: LabelMatcher[] = [];

  @Property({ type: 'json' })
  channelIds: string[] = [];

  /** Keep trying later routes after this one matched (Alertmanager's `continue`). */
  @Property({ type: 'boolean' })
  continueMatching: boolean = false;

  /** Send each alert as its own message instead of one message per webhook group. */
  @Property({ type: 'boolean' })
  perAlert: boolean = false;

  /**
   * Route windows (flag gateway.advanced-convergence), like Alertmanager's group_wait,
   * group_interval and repeat_interval but across clusters: null when the route has none.
   */
  @Property({ type: 'integer', nullable: true })
  groupWaitSeconds?: number | null;

  @Property({ type: 'integer', nullable: true })
  groupIntervalSeconds?: number | null;

  @Property({ type: 'integer', nullable: true })
  repeatIntervalSeconds?: number | null;

  /** The route used when no other route matches; at most one. */
  @Property({ type: 'boolean' })
  isDefault: boolean = false;

  @Property({ type: 'boolean' })
  enabled: boolean = true;

  /** With the analysis.enabled flag on: analyse the alerts this route delivers with this provider. */
  @Property({ type: 'uuid', nullable: true })
  analysisProviderId?: string | null;

  /** Smart routing (flag routing.smart): follow-ups on what the analysis says. */
  @Property({ type: 'json' })
  followUps: FollowUpRule[] = [];

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
