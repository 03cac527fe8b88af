import { Migration } from '@mikro-orm/migrations';

/** Remediation actions (n8n workflows on an allowlist) and their executions. */
export class Migration20261208040000_remediation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "remediation_action" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "description" text not null default '',
      "webhook_url" jsonb not null,
      "auth_header_name" varchar(100) not null default 'X-N8N-Auth',
      "auth_value" jsonb null,
      "matchers" jsonb not null,
      "min_confidence" double precision not null,
      "mode" varchar(16) not null,
      "cooldown_seconds" int not null,
      "dry_run" boolean not null default false,
      "timeout_ms" int not null default 30000,
      "enabled" boolean not null default true,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "remediation_action_pkey" primary key ("id"));`);
    this.addSql(`alter table "remediation_action" add constraint "remediation_action_name_unique" unique ("name");`);
    this.addSql(`create table "automation_execution" (
      "id" uuid not null,
      "action_id" uuid null,
      "action_name" varchar(100) not null,
      "analysis_id" uuid not null,
      "record_id" uuid not null,
      "fingerprint" varchar(64) not null,
      "starts_at" timestamptz not null,
      "mode" varchar(16) not null,
      "dry_run" boolean not null default false,
      "status" varchar(24) not null,
      "triggered_by" varchar(200) not null,
      "inputs" jsonb not null,
      "n8n_execution_id" varchar(200) null,
      "output" jsonb null,
      "error" text null,
      "created_at" timestamptz not null,
      "finished_at" timestamptz null,
      constraint "automation_execution_pkey" primary key ("id"));`);
    this.addSql(
      `alter table "automation_execution" add constraint "automation_execution_action_name_fingerprint_starts_at_unique" unique ("action_name", "fingerprint", "starts_at");`,
    );
    this.addSql(`create index "automation_execution_created_at_index" on "automation_execution" ("created_at");`);
    this.addSql(`alter table "alert_analysis" add column "remediation" varchar(100) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "alert_analysis" drop column "remediation";`);
    this.addSql(`drop table "automation_execution";`);
    this.addSql(`drop table "remediation_action";`);
  }
}
