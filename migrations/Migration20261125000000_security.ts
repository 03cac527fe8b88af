import { Migration } from '@mikro-orm/migrations';

/** API tokens and the audit trail: the base every administrative action stands on. */
export class Migration20261125000000_security extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "api_token" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "role" text check ("role" in ('viewer', 'operator', 'admin')) not null,
      "token_hash" varchar(64) not null,
      "prefix" varchar(16) not null,
      "created_by" varchar(200) null,
      "created_at" timestamptz not null,
      "expires_at" timestamptz null,
      "last_used_at" timestamptz null,
      "revoked_at" timestamptz null,
      constraint "api_token_pkey" primary key ("id"));`);
    this.addSql(`alter table "api_token" add constraint "api_token_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "audit_event" (
      "id" uuid not null,
      "actor" varchar(200) not null,
      "action" varchar(100) not null,
      "target_type" varchar(100) not null,
      "target_id" varchar(200) null,
      "details" jsonb not null,
      "request_id" varchar(100) null,
      "created_at" timestamptz not null,
      constraint "audit_event_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_event_created_at_index" on "audit_event" ("created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_event" cascade;`);
    this.addSql(`drop table if exists "api_token" cascade;`);
  }
}
