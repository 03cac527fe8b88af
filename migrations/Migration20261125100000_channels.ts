import { Migration } from '@mikro-orm/migrations';

/** Channels, their hierarchical groups, and durable deliveries with every attempt. */
export class Migration20261125100000_channels extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "channel_group" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "parent_id" uuid null,
      "manage_role" text check ("manage_role" in ('viewer', 'operator', 'admin')) null,
      "created_at" timestamptz not null,
      constraint "channel_group_pkey" primary key ("id"));`);
    this.addSql(`alter table "channel_group" add constraint "channel_group_parent_id_name_unique" unique ("parent_id", "name");`);
    this.addSql(`alter table "channel_group" add constraint "channel_group_parent_id_foreign"
      foreign key ("parent_id") references "channel_group" ("id") on update cascade on delete restrict;`);

    this.addSql(`create table "channel" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "type" varchar(32) not null,
      "config" jsonb not null,
      "secrets" jsonb not null,
      "templates" jsonb null,
      "group_id" uuid null,
      "tags" text[] not null,
      "enabled" boolean not null default true,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "channel_pkey" primary key ("id"));`);
    this.addSql(`alter table "channel" add constraint "channel_name_unique" unique ("name");`);
    this.addSql(`create index "channel_type_index" on "channel" ("type");`);
    this.addSql(`alter table "channel" add constraint "channel_group_id_foreign"
      foreign key ("group_id") references "channel_group" ("id") on update cascade on delete set null;`);

    this.addSql(`create table "delivery" (
      "id" uuid not null,
      "channel_id" uuid not null,
      "idempotency_key" varchar(200) not null,
      "source" varchar(32) not null,
      "status" varchar(16) not null default 'pending',
      "message" jsonb not null,
      "attempts" int not null default 0,
      "max_attempts" int not null,
      "next_attempt_at" timestamptz null,
      "lease_until" timestamptz null,
      "last_error" text null,
      "created_at" timestamptz not null,
      "delivered_at" timestamptz null,
      constraint "delivery_pkey" primary key ("id"));`);
    this.addSql(`alter table "delivery" add constraint "delivery_idempotency_key_unique" unique ("idempotency_key");`);
    this.addSql(`create index "delivery_channel_id_index" on "delivery" ("channel_id");`);
    this.addSql(`create index "delivery_status_next_attempt_at_index" on "delivery" ("status", "next_attempt_at");`);
    this.addSql(`alter table "delivery" add constraint "delivery_channel_id_foreign"
      foreign key ("channel_id") references "channel" ("id") on update cascade on delete cascade;`);

    this.addSql(`create table "delivery_attempt" (
      "id" uuid not null,
      "delivery_id" uuid not null,
      "channel_id" uuid not null,
      "attempt" int not null,
      "ok" boolean not null,
      "retryable" boolean not null default false,
      "http_status" int null,
      "latency_ms" double precision not null,
      "error" text null,
      "peer_answer" text null,
      "created_at" timestamptz not null,
      constraint "delivery_attempt_pkey" primary key ("id"));`);
    this.addSql(`create index "delivery_attempt_delivery_id_index" on "delivery_attempt" ("delivery_id");`);
    this.addSql(`create index "delivery_attempt_channel_id_created_at_index" on "delivery_attempt" ("channel_id", "created_at");`);
    this.addSql(`alter table "delivery_attempt" add constraint "delivery_attempt_delivery_id_foreign"
      foreign key ("delivery_id") references "delivery" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "delivery_attempt" add constraint "delivery_attempt_channel_id_foreign"
      foreign key ("channel_id") references "channel" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "delivery_attempt" cascade;`);
    this.addSql(`drop table if exists "delivery" cascade;`);
    this.addSql(`drop table if exists "channel" cascade;`);
    this.addSql(`drop table if exists "channel_group" cascade;`);
  }
}
