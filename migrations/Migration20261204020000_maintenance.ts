import { Migration } from '@mikro-orm/migrations';

/** Maintenance windows (flag gateway.maintenance), and the alerts they suppressed until they end. */
export class Migration20261204020000_maintenance extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "maintenance_window" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "matchers" jsonb not null,
      "clusters" jsonb not null,
      "schedule" varchar(8) not null,
      "starts_at" timestamptz null,
      "ends_at" timestamptz null,
      "expression" text null,
      "duration_seconds" int null,
      "time_zone" varchar(64) not null,
      "enabled" boolean not null default true,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "maintenance_window_pkey" primary key ("id"));`);
    this.addSql(`alter table "maintenance_window" add constraint "maintenance_window_name_unique" unique ("name");`);
    this.addSql(`create table "suppressed_alert" (
      "window_id" uuid not null,
      "fingerprint" varchar(64) not null,
      "occurrence_end" timestamptz not null,
      "status" varchar(16) not null,
      "alert" jsonb not null,
      "receiver" text not null,
      "group_key" text not null,
      "suppressed_at" timestamptz not null,
      "released_at" timestamptz null,
      constraint "suppressed_alert_pkey" primary key ("window_id", "fingerprint"));`);
    this.addSql(`create index "suppressed_alert_occurrence_end_index" on "suppressed_alert" ("occurrence_end");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "suppressed_alert";`);
    this.addSql(`drop table "maintenance_window";`);
  }
}
