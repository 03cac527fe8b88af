import { Migration } from '@mikro-orm/migrations';

/**
 * Route windows (flag gateway.advanced-convergence): a route's group wait, interval and repeat,
 * and per route and channel when it last sent and what it holds for its next message.
 */
export class Migration20261206010000_route_windows extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "gateway_route" add column "group_wait_seconds" int null, add column "group_interval_seconds" int null, add column "repeat_interval_seconds" int null;`,
    );
    this.addSql(`create table "route_window" (
      "route_id" uuid not null,
      "channel_id" uuid not null,
      "route_name" varchar(100) not null,
      "last_flush_at" timestamptz null,
      "next_flush_at" timestamptz null,
      constraint "route_window_pkey" primary key ("route_id", "channel_id"));`);
    this.addSql(`create index "route_window_next_flush_index" on "route_window" ("next_flush_at") where "next_flush_at" is not null;`);
    this.addSql(`create table "route_window_alert" (
      "route_id" uuid not null,
      "channel_id" uuid not null,
      "fingerprint" varchar(64) not null,
      "status" varchar(16) not null,
      "alert" jsonb not null,
      "receiver" text not null,
      "group_key" text not null,
      "queued_at" timestamptz null,
      "queued_by" uuid null,
      "told_status" varchar(16) null,
      "told_at" timestamptz null,
      "told_by" uuid null,
      "released_at" timestamptz null,
      constraint "route_window_alert_pkey" primary key ("route_id", "channel_id", "fingerprint"));`);
    this.addSql(
      `create index "route_window_alert_released_index" on "route_window_alert" ("released_at") where "released_at" is not null;`,
    );
    this.addSql(`create index "route_window_alert_told_index" on "route_window_alert" ("told_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "route_window_alert";`);
    this.addSql(`drop table "route_window";`);
    this.addSql(
      `alter table "gateway_route" drop column "group_wait_seconds", drop column "group_interval_seconds", drop column "repeat_interval_seconds";`,
    );
  }
}
