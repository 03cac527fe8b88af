import { Migration } from '@mikro-orm/migrations';

/**
 * Inhibition (flag gateway.inhibition): rules, the source alerts AlertAgent has seen firing
 * (across clusters), the targets held back while a source fires, and on every record why a
 * stage held it back.
 */
export class Migration20261204010000_inhibition extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "inhibition_rule" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "source_matchers" jsonb not null,
      "target_matchers" jsonb not null,
      "equal" jsonb not null,
      "enabled" boolean not null default true,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "inhibition_rule_pkey" primary key ("id"));`);
    this.addSql(`alter table "inhibition_rule" add constraint "inhibition_rule_name_unique" unique ("name");`);
    this.addSql(`create table "inhibition_source" (
      "rule_id" uuid not null,
      "fingerprint" varchar(64) not null,
      "equal_key" varchar(64) not null,
      "alertname" varchar(200) not null,
      "labels" jsonb not null,
      "firing_since" timestamptz not null,
      "last_seen_at" timestamptz not null,
      constraint "inhibition_source_pkey" primary key ("rule_id", "fingerprint"));`);
    this.addSql(`create index "inhibition_source_rule_id_equal_key_index" on "inhibition_source" ("rule_id", "equal_key");`);
    this.addSql(`create table "inhibited_alert" (
      "fingerprint" varchar(64) not null,
      "rule_id" uuid not null,
      "equal_key" varchar(64) not null,
      "source_fingerprint" varchar(64) not null,
      "alert" jsonb not null,
      "receiver" text not null,
      "group_key" text not null,
      "held_at" timestamptz not null,
      "released_at" timestamptz null,
      constraint "inhibited_alert_pkey" primary key ("fingerprint"));`);
    this.addSql(`create index "inhibited_alert_rule_id_equal_key_index" on "inhibited_alert" ("rule_id", "equal_key");`);
    this.addSql(`create index "inhibited_alert_released_index" on "inhibited_alert" ("released_at") where "released_at" is not null;`);
    this.addSql(`alter table "alert_record" add column "hold_reason" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "alert_record" drop column "hold_reason";`);
    this.addSql(`drop table "inhibited_alert";`);
    this.addSql(`drop table "inhibition_source";`);
    this.addSql(`drop table "inhibition_rule";`);
  }
}
