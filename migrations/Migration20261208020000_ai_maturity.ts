import { Migration } from '@mikro-orm/migrations';

/** The measured maturity of each analysis provider. */
export class Migration20261208020000_ai_maturity extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "ai_maturity" (
      "provider_id" uuid not null,
      "state" varchar(16) not null default 'probation',
      "since" timestamptz not null,
      "reason" text not null default 'not evaluated yet',
      "record" jsonb not null,
      "evaluated_at" timestamptz not null,
      constraint "ai_maturity_pkey" primary key ("provider_id"));`);
    this.addSql(`create index "alert_analysis_finished_at_index" on "alert_analysis" ("finished_at");`);
    this.addSql(`create table "ai_feature_state" (
      "flag" varchar(100) not null,
      "blocked" boolean not null default false,
      "since" timestamptz not null,
      "reason" text not null default '',
      constraint "ai_feature_state_pkey" primary key ("flag"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "ai_feature_state";`);
    this.addSql(`drop index "alert_analysis_finished_at_index";`);
    this.addSql(`drop table "ai_maturity";`);
  }
}
