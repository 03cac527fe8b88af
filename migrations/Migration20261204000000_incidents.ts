import { Migration } from '@mikro-orm/migrations';

/**
 * Incidents (flag gateway.grouping): correlation policies, incidents with their alerts and the
 * notifications sent for them, and each record's incident. One open incident per correlation
 * key, enforced by the database so replicas agree on which receipt opened it.
 */
export class Migration20261204000000_incidents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "correlation_policy" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "position" int not null,
      "labels" jsonb not null,
      "matchers" jsonb not null,
      "window_seconds" int not null,
      "update_interval_seconds" int not null,
      "reopen_grace_seconds" int not null,
      "enabled" boolean not null default true,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "correlation_policy_pkey" primary key ("id"));`);
    this.addSql(`alter table "correlation_policy" add constraint "correlation_policy_name_unique" unique ("name");`);
    this.addSql(`create table "incident" (
      "id" uuid not null,
      "policy_id" uuid not null,
      "policy_name" varchar(100) not null,
      "correlation_key" varchar(64) not null,
      "labels" jsonb not null,
      "title" varchar(300) not null,
      "state" varchar(16) not null,
      "opened_by_receipt" uuid not null,
      "receiver" text not null,
      "channel_ids" jsonb not null,
      "window_seconds" int not null,
      "update_interval_seconds" int not null,
      "reopen_grace_seconds" int not null,
      "opened_at" timestamptz not null,
      "last_alert_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "resolved_at" timestamptz null,
      "update_pending_since" timestamptz null,
      "last_notified_at" timestamptz null,
      "notification_count" int not null default 0,
      constraint "incident_pkey" primary key ("id"));`);
    this.addSql(`create unique index "incident_open_key_unique" on "incident" ("correlation_key") where "state" <> 'resolved';`);
    this.addSql(`create index "incident_opened_at_index" on "incident" ("opened_at");`);
    this.addSql(`create index "incident_pending_index" on "incident" ("update_pending_since") where "update_pending_since" is not null;`);
    this.addSql(`create table "incident_alert" (
      "incident_id" uuid not null,
      "fingerprint" varchar(64) not null,
      "alertname" varchar(200) not null,
      "labels" jsonb not null,
      "annotations" jsonb not null,
      "status" varchar(16) not null,
      "starts_at" timestamptz not null,
      "first_seen_at" timestamptz not null,
      "last_seen_at" timestamptz not null,
      "resolved_at" timestamptz null,
      "notified" boolean not null default false,
      "notified_status" varchar(16) null,
      constraint "incident_alert_pkey" primary key ("incident_id", "fingerprint"));`);
    this.addSql(`create index "incident_alert_fingerprint_index" on "incident_alert" ("fingerprint");`);
    this.addSql(`create table "incident_notification" (
      "id" uuid not null,
      "incident_id" uuid not null,
      "kind" varchar(16) not null,
      "sequence" int not null,
      "channel_id" uuid not null,
      "delivery_id" uuid null,
      "error" text null,
      "added" int not null,
      "resolved" int not null,
      "firing" int not null,
      "message" jsonb not null,
      "created_at" timestamptz not null,
      constraint "incident_notification_pkey" primary key ("id"));`);
    this.addSql(
      `create index "incident_notification_undelivered_index" on "incident_notification" ("created_at") where "delivery_id" is null and "error" is null;`,
    );
    this.addSql(
      `alter table "incident_notification" add constraint "incident_notification_incident_id_sequence_channel_id_unique" unique ("incident_id", "sequence", "channel_id");`,
    );
    this.addSql(`alter table "alert_record" add column "incident_id" uuid null;`);
    this.addSql(`create index "alert_record_incident_index" on "alert_record" ("incident_id") where "incident_id" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "alert_record" drop column "incident_id";`);
    this.addSql(`drop table "incident_notification";`);
    this.addSql(`drop table "incident_alert";`);
    this.addSql(`drop table "incident";`);
    this.addSql(`drop table "correlation_policy";`);
  }
}
