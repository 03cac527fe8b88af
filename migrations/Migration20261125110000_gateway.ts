import { Migration } from '@mikro-orm/migrations';

/** The gateway: static routes, accepted webhook receipts, and a processing record per alert. */
export class Migration20261125110000_gateway extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "gateway_route" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "position" int not null,
      "matchers" jsonb not null,
      "channel_ids" jsonb not null,
      "continue_matching" boolean not null default false,
      "per_alert" boolean not null default false,
      "is_default" boolean not null default false,
      "enabled" boolean not null default true,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "gateway_route_pkey" primary key ("id"));`);
    this.addSql(`alter table "gateway_route" add constraint "gateway_route_name_unique" unique ("name");`);

    this.addSql(`create table "alert_receipt" (
      "id" uuid not null,
      "received_at" timestamptz not null,
      "group_key" text not null,
      "receiver" varchar(200) not null,
      "status" varchar(16) not null,
      "alert_count" int not null,
      "truncated_alerts" int not null default 0,
      "source" varchar(200) not null,
      "payload" jsonb not null,
      "processed_at" timestamptz null,
      constraint "alert_receipt_pkey" primary key ("id"));`);
    this.addSql(`create index "alert_receipt_processed_at_received_at_index" on "alert_receipt" ("processed_at", "received_at");`);

    this.addSql(`create table "alert_record" (
      "id" uuid not null,
      "receipt_id" uuid not null,
      "fingerprint" varchar(64) not null,
      "status" varchar(16) not null,
      "alertname" varchar(200) not null,
      "severity" varchar(64) null,
      "cluster" varchar(200) null,
      "labels" jsonb not null,
      "annotations" jsonb not null,
      "starts_at" timestamptz not null,
      "ends_at" timestamptz null,
      "received_at" timestamptz not null,
      "routed_at" timestamptz null,
      "first_delivered_at" timestamptz null,
      "state" varchar(32) not null default 'received',
      "route_names" jsonb not null,
      "delivery_ids" jsonb not null,
      constraint "alert_record_pkey" primary key ("id"));`);
    this.addSql(`create index "alert_record_receipt_id_index" on "alert_record" ("receipt_id");`);
    this.addSql(`create index "alert_record_alertname_received_at_index" on "alert_record" ("alertname", "received_at");`);
    this.addSql(`create index "alert_record_fingerprint_received_at_index" on "alert_record" ("fingerprint", "received_at");`);
    this.addSql(`create index "alert_record_received_at_index" on "alert_record" ("received_at");`);
    // Finds the records a delivery belongs to when its retries settle.
    this.addSql(`create index "alert_record_delivery_ids_index" on "alert_record" using gin ("delivery_ids" jsonb_path_ops);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "alert_record" cascade;`);
    this.addSql(`drop table if exists "alert_receipt" cascade;`);
    this.addSql(`drop table if exists "gateway_route" cascade;`);
  }
}
