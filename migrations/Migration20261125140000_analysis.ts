import { Migration } from '@mikro-orm/migrations';

/** AI analysis: providers, one analysis per alert record and provider, the route setting that asks for it, and the alert's generator URL on its record. */
export class Migration20261125140000_analysis extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "analysis_provider" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "type" varchar(16) not null,
      "config" jsonb not null,
      "secret" jsonb null,
      "rate_limit_per_minute" int not null default 60,
      "timeout_ms" int not null default 60000,
      "enabled" boolean not null default true,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "analysis_provider_pkey" primary key ("id"));`);
    this.addSql(`alter table "analysis_provider" add constraint "analysis_provider_name_unique" unique ("name");`);

    this.addSql(`create table "alert_analysis" (
      "id" uuid not null,
      "record_id" uuid not null,
      "provider_id" uuid not null,
      "alertname" varchar(200) not null,
      "fingerprint" varchar(64) not null,
      "status" varchar(16) not null default 'queued',
      "attempts" int not null default 0,
      "queued_at" timestamptz not null,
      "started_at" timestamptz null,
      "finished_at" timestamptz null,
      "error" text null,
      "parsed" boolean null,
      "parse_error" text null,
      "root_cause" text null,
      "confidence" double precision null,
      "suggested_actions" jsonb null,
      "severity_assessment" varchar(64) null,
      "raw_answer" text null,
      "model" varchar(200) null,
      "tokens" int null,
      "duration_ms" double precision null,
      "execution_id" varchar(200) null,
      "conversation_id" varchar(200) null,
      "callback_token_hash" varchar(64) null,
      "feedback_useful" boolean null,
      "feedback_note" text null,
      "feedback_by" varchar(200) null,
      "feedback_at" timestamptz null,
      "created_at" timestamptz not null,
      constraint "alert_analysis_pkey" primary key ("id"));`);
    this.addSql(`create index "alert_analysis_fingerprint_created_at_index" on "alert_analysis" ("fingerprint", "created_at");`);
    this.addSql(`create index "alert_analysis_alertname_created_at_index" on "alert_analysis" ("alertname", "created_at");`);
    this.addSql(
      `alter table "alert_analysis" add constraint "alert_analysis_record_id_provider_id_unique" unique ("record_id", "provider_id");`,
    );

    this.addSql(`alter table "gateway_route" add column "analysis_provider_id" uuid null;`);
    this.addSql(`alter table "alert_record" add column "generator_url" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "alert_record" drop column "generator_url";`);
    this.addSql(`alter table "gateway_route" drop column "analysis_provider_id";`);
    this.addSql(`drop table if exists "alert_analysis" cascade;`);
    this.addSql(`drop table if exists "analysis_provider" cascade;`);
  }
}
