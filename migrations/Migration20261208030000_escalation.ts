import { Migration } from '@mikro-orm/migrations';

/** Acknowledgements, single-use ack links, escalation policies and their timers. */
export class Migration20261208030000_escalation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "escalation_policy" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "matchers" jsonb not null,
      "levels" jsonb not null,
      "enabled" boolean not null default true,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "escalation_policy_pkey" primary key ("id"));`);
    this.addSql(`alter table "escalation_policy" add constraint "escalation_policy_name_unique" unique ("name");`);
    this.addSql(`create table "escalation" (
      "fingerprint" varchar(64) not null,
      "starts_at" timestamptz not null,
      "policy_id" uuid not null,
      "record_id" uuid not null,
      "alertname" varchar(200) not null,
      "level" int not null default 0,
      "state" varchar(16) not null default 'waiting',
      "next_at" timestamptz null,
      "first_notified_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "escalation_pkey" primary key ("fingerprint", "starts_at"));`);
    this.addSql(`create index "escalation_state_next_at_index" on "escalation" ("state", "next_at");`);
    this.addSql(`create table "alert_ack" (
      "fingerprint" varchar(64) not null,
      "starts_at" timestamptz not null,
      "alertname" varchar(200) not null,
      "acknowledged_at" timestamptz not null,
      "acknowledged_by" varchar(200) not null,
      "via" varchar(16) not null,
      "note" text null,
      "time_to_ack_seconds" double precision null,
      constraint "alert_ack_pkey" primary key ("fingerprint", "starts_at"));`);
    this.addSql(`create table "ack_link_use" (
      "nonce" varchar(64) not null,
      "used_at" timestamptz not null,
      "expires_at" timestamptz not null,
      constraint "ack_link_use_pkey" primary key ("nonce"));`);
    this.addSql(`alter table "incident" add column "acknowledged_at" timestamptz null, add column "acknowledged_by" varchar(200) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "incident" drop column "acknowledged_at", drop column "acknowledged_by";`);
    this.addSql(`drop table "ack_link_use";`);
    this.addSql(`drop table "alert_ack";`);
    this.addSql(`drop table "escalation";`);
    this.addSql(`drop table "escalation_policy";`);
  }
}
