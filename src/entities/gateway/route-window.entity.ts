import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/** A route window per route and channel (flag gateway.advanced-convergence): when it last sent, and when its next message is due. */
@Entity({ tableName: 'route_window' })
@Index({
  name: 'route_window_next_flush_index',
  expression: 'create index "route_window_next_flush_index" on "route_window" ("next_flush_at") where "next_flush_at" is not null',
})
export class RouteWindowEntity {
  @PrimaryKey({ type: 'uuid' })
  routeId!: string;

  @PrimaryKey({ type: 'uuid' })
  channelId!: string;

  /** Kept so a window can still be told by name after its route is gone. */
  @Property({ type: 'string', length: 100 })
  routeName!: string;

  @Property({ type: 'datetime', nullable: true })
  lastFlushAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  nextFlushAt?: Date | null;
}

/**
 * An alert a route window knows: what was last told of it on the channel (for the repeat interval)
 * and, while `queuedAt` is set, that it waits for the window's next message. `releasedAt` marks a
 * message taken for sending and not yet handed to delivery (a crash in between resends it).
 */
@Entity({ tableName: 'route_window_alert' })
@Index({
  name: 'route_window_alert_released_index',
  expression: 'create index "route_window_alert_released_index" on "route_window_alert" ("released_at") where "released_at" is not null',
})
@Index({ name: 'route_window_alert_told_index', properties: ['toldAt'] })
export class RouteWindowAlertEntity {
  @PrimaryKey({ type: 'uuid' })
  routeId!: string;

  @PrimaryKey({ type: 'uuid' })
  channelId!: string;

  @PrimaryKey({ type: 'string', length: 64 })
  fingerprint!: string;

  @Property({ type: 'string', length: 16 })
  status!: string;

  @Property({ type: 'json' })
  alert!: Record<string, unknown>;

  @Property({ type: 'text' })
  receiver!: string;

  @Property({ type: 'text' })
  groupKey!: string;

  @Property({ type: 'datetime', nullable: true })
  queuedAt?: Date | null;

  /** The receipt that queued it: the same receipt processed again finds it queued by itself. */
  @Property({ type: 'uuid', nullable: true })
  queuedBy?: string | null;

  @Property({ type: 'string', length: 16, nullable: true })
  toldStatus?: string | null;

  @Property({ type: 'datetime', nullable: true })
  toldAt?: Date | null;

  /** The receipt whose own message told it (null when a window's message did). */
  @Property({ type: 'uuid', nullable: true })
  toldBy?: string | null;

  @Property({ type: 'datetime', nullable: true })
  releasedAt?: Date | null;
}
