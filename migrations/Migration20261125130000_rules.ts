import { Migration } from '@mikro-orm/migrations';

/** Prometheus rule groups with their targets, and every version of each. */
export class Migration20261125130000_rules extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "rule_group" (
      "id" uuid not null,
      "name" varchar(200) not null,
      "definition" jsonb not null,
      "targets" jsonb not null,
      "version" int not null default 1,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      constraint "rule_group_pkey" primary key ("id"));`);
    this.addSql(`create index "rule_group_name_index" on "rule_group" ("name");`);

    this.addSql(`create table "rule_group_version" (
      "id" uuid not null,
      "group_id" uuid not null,
      "version" int not null,
      "definition" jsonb not null,
      "targets" jsonb not null,
      "author" varchar(200) not null,
      "message" text not null,
      "created_at" timestamptz not null,
      constraint "rule_group_version_pkey" primary key ("id"));`);
    this.addSql(`create index "rule_group_version_group_id_index" on "rule_group_version" ("group_id");`);
    this.addSql(
      `alter table "rule_group_version" add constraint "rule_group_version_group_id_version_unique" unique ("group_id", "version");`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "rule_group_version" cascade;`);
    this.addSql(`drop table if exists "rule_group" cascade;`);
  }
}
