import { Migration } from '@mikro-orm/migrations';

/** Maintenance windows mirrored as silences on the managed Alertmanagers. */
export class Migration20261207000000_maintenance_silences extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "maintenance_window" add column "mirror_as_silences" boolean not null default false;`);
    this.addSql(`create table "maintenance_silence" (
      "window_id" uuid not null,
      "cluster_id" uuid not null,
      "occurrence_start" timestamptz not null,
      "silence_id" varchar(64) not null,
      "spec_hash" varchar(64) not null,
      constraint "maintenance_silence_pkey" primary key ("window_id", "cluster_id", "occurrence_start"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table "maintenance_silence";`);
    this.addSql(`alter table "maintenance_window" drop column "mirror_as_silences";`);
  }
}
