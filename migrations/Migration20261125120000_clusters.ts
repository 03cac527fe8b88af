import { Migration } from '@mikro-orm/migrations';

/** Alertmanager clusters: the registry, replica health history, rendered config versions, sidecar sync reports. */
export class Migration20261125120000_clusters extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "cluster" (
      "id" uuid not null,
      "name" varchar(100) not null,
      "labels" jsonb not null,
      "alertmanager_urls" jsonb not null,
      "prometheus_urls" jsonb not null,
      "sync_interval_seconds" int not null default 30,
      "config_template" text not null default '',
      "routes" text not null default '',
      "inhibit_rules" text not null default '',
      "webhook_token_hash" varchar(64) not null,
      "webhook_token_sealed" jsonb not null,
      "sidecar_token_hash" varchar(64) not null,
      "status" varchar(16) not null default 'unknown',
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "cluster_pkey" primary key ("id"));`);
    this.addSql(`alter table "cluster" add constraint "cluster_name_unique" unique ("name");`);

    this.addSql(`create table "replica_check" (
      "id" uuid not null,
      "cluster_id" uuid not null,
      "url" varchar(500) not null,
      "up" boolean not null,
      "response_ms" double precision not null,
      "version" varchar(64) null,
      "peers" int null,
      "error" text null,
      "checked_at" timestamptz not null,
      constraint "replica_check_pkey" primary key ("id"));`);
    this.addSql(`create index "replica_check_checked_at_index" on "replica_check" ("checked_at");`);
    this.addSql(`create index "replica_check_cluster_id_checked_at_index" on "replica_check" ("cluster_id", "checked_at");`);

    this.addSql(`create table "cluster_config_version" (
      "id" uuid not null,
      "cluster_id" uuid not null,
      "version" int not null,
      "hash" varchar(64) not null,
      "content" text not null,
      "author" varchar(200) not null,
      "created_at" timestamptz not null,
      constraint "cluster_config_version_pkey" primary key ("id"));`);
    this.addSql(`create index "cluster_config_version_cluster_id_index" on "cluster_config_version" ("cluster_id");`);
    this.addSql(
      `alter table "cluster_config_version" add constraint "cluster_config_version_cluster_id_version_unique" unique ("cluster_id", "version");`,
    );

    this.addSql(`create table "sync_status" (
      "cluster_id" uuid not null,
      "instance" varchar(200) not null,
      "kind" varchar(16) not null,
      "applied_hash" varchar(64) null,
      "last_success_at" timestamptz null,
      "last_error" text null,
      "last_error_at" timestamptz null,
      "reported_at" timestamptz not null,
      constraint "sync_status_pkey" primary key ("cluster_id", "instance"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "sync_status" cascade;`);
    this.addSql(`drop table if exists "cluster_config_version" cascade;`);
    this.addSql(`drop table if exists "replica_check" cascade;`);
    this.addSql(`drop table if exists "cluster" cascade;`);
  }
}
